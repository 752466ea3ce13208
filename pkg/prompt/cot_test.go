package prompt

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestCoTPrompt(t *testing.T) {
	ex := Exemplar{
		Question:  "Roger has 5 tennis balls. He buys 2 more cans of 3. How many does he have now?",
		Rationale: "Roger started with 5 balls. 2 cans of 3 is 6 balls. 5 + 6 = 11.",
		Answer:    "11",
	}
	zh := Exemplar{Question: "小明有3个苹果，又买了2个，现在有几个？", Rationale: "3加2等于5。", Answer: "5"}
	tests := []struct {
		name string
		c    CoT
		q    string
		want string
	}{
		{"zero-shot", English(), "What is 2 + 3?", "Q: What is 2 + 3?\nA: Let's think step by step."},
		{"zero-shot Chinese", Chinese(), "2加3是多少？", "问题：2加3是多少？\n答案：让我们一步一步地思考。"},
		{"few-shot", English(ex), "What is 2 + 3?",
			"Q: Roger has 5 tennis balls. He buys 2 more cans of 3. How many does he have now?\n" +
				"A: Roger started with 5 balls. 2 cans of 3 is 6 balls. 5 + 6 = 11. The answer is 11.\n\n" +
				"Q: What is 2 + 3?\nA:"},
		{"few-shot Chinese", Chinese(zh), "2加3是多少？",
			"问题：小明有3个苹果，又买了2个，现在有几个？\n答案：3加2等于5。所以答案是5。\n\n问题：2加3是多少？\n答案："},
		{"custom trigger", func() CoT { c := English(); c.Trigger = "Let's solve it carefully."; return c }(), "1+1?",
			"Q: 1+1?\nA: Let's solve it carefully."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Prompt(tt.q); got != tt.want {
				t.Errorf("Prompt =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// scripted is a stub sampler that returns fixed completions and records
// the prompt it got.
type scripted struct {
	out    []string
	prompt string
}

func (s *scripted) Sample(_ context.Context, prompt string, n int) ([]string, error) {
	s.prompt = prompt
	return s.out[:min(n, len(s.out))], nil
}

func TestSelfConsistency(t *testing.T) {
	tests := []struct {
		name       string
		out        []string
		k          int
		want       string
		wantCounts []AnswerCount
		wantErr    string
	}{
		{
			name: "majority over rationales",
			out: []string{
				"5 + 6 = 11. The answer is 11.",
				"2 cans of 3 is 6, plus 5 makes 12. The answer is 12.",
				"He has 5, buys 6, so 11 in all.",
				"I am not sure.",
				"5 + 2*3 = 11. The answer is 11.",
			},
			k:          5,
			want:       "11",
			wantCounts: []AnswerCount{{"11", 3}, {"12", 1}},
		},
		{
			name:       "tie goes to the answer seen first",
			out:        []string{"The answer is 7.", "The answer is 9.", "The answer is 9.", "The answer is 7."},
			k:          4,
			want:       "7",
			wantCounts: []AnswerCount{{"7", 2}, {"9", 2}},
		},
		{name: "no answers", out: []string{"hmm", "no idea"}, k: 2, wantErr: "self-consistency: 2 samples: no sample contains an answer"},
		{name: "short sampler", out: []string{"The answer is 1."}, k: 3, wantErr: "self-consistency: sampler returned 1 completions, want 3"},
		{name: "bad k", k: 0, wantErr: "self-consistency: k = 0, want >= 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{out: tt.out}
			c := English()
			got, err := c.SelfConsistency(context.Background(), s, "How many balls?", tt.k, Numbers)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.name == "no answers" && !errors.Is(err, ErrNoAnswer) {
					t.Errorf("err does not wrap ErrNoAnswer")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Answer != tt.want || !reflect.DeepEqual(got.Counts, tt.wantCounts) {
				t.Errorf("consensus %q %v, want %q %v", got.Answer, got.Counts, tt.want, tt.wantCounts)
			}
			if s.prompt != c.Prompt("How many balls?") {
				t.Errorf("sampler got prompt %q", s.prompt)
			}
			if len(got.Answers) != tt.k || len(got.Samples) != tt.k {
				t.Errorf("per-sample answers %v", got.Answers)
			}
		})
	}
}
