package prompt

import (
	"context"
	"math"
	"reflect"
	"testing"
)

func TestLabelScores(t *testing.T) {
	// 正面: 很 = [-1.0], 非常 = [-2.0, -0.5] (two tokens); 负面: 不 = [-1.5].
	scores := TokenScores{{{-1.0}, {-2.0, -0.5}}, {{-1.5}}}
	tests := []struct {
		word, label Agg
		want        float64 // score of 正面; 负面 is always -1.5
	}{
		{First, Mean, (-1.0 + -2.0) / 2},
		{Mean, Mean, (-1.0 + -1.25) / 2},
		{Max, Mean, (-1.0 + -0.5) / 2},
		{First, Max, -1.0},
		{Mean, Max, -1.0},
		{Max, Max, -0.5},
	}
	for _, tt := range tests {
		t.Run(string(tt.word)+"/"+string(tt.label), func(t *testing.T) {
			v, err := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很", "非常"}, {"不"}}, tt.word, tt.label)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.LabelScores(scores)
			if err != nil {
				t.Fatal(err)
			}
			if !nearAll(got, []float64{tt.want, -1.5}) {
				t.Errorf("LabelScores = %v, want [%v -1.5]", got, tt.want)
			}
		})
	}
}

func TestProbs(t *testing.T) {
	v, err := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很", "非常"}, {"不"}}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Probs(TokenScores{{{-1.0}, {-2.0, -0.5}}, {{-1.5}}})
	if err != nil {
		t.Fatal(err)
	}
	// mean/mean: 正面 = -1.125, 负面 = -1.5; softmax = 1/(1+e^-0.375).
	p := 1 / (1 + math.Exp(-0.375))
	if !nearAll(got, []float64{p, 1 - p}) {
		t.Errorf("Probs = %v, want [%v %v]", got, p, 1-p)
	}
}

func TestVerbalizerErrors(t *testing.T) {
	tests := []struct {
		name     string
		labels   []string
		words    [][]string
		wordAgg  Agg
		labelAgg Agg
		want     string
	}{
		{"no labels", nil, nil, "", "", "verbalizer: no labels"},
		{"word lists mismatch", []string{"a", "b"}, [][]string{{"x"}}, "", "", "verbalizer: 2 labels but 1 word lists"},
		{"duplicate label", []string{"a", "a"}, [][]string{{"x"}, {"y"}}, "", "", `verbalizer: duplicate label "a"`},
		{"no words", []string{"a", "b"}, [][]string{{"x"}, {}}, "", "", `verbalizer: label "b" has no label words`},
		{"shared word", []string{"正面", "负面"}, [][]string{{"很", "好"}, {"不", "很"}}, "", "", `verbalizer: labels "正面" and "负面" share the label word "很"; give each label its own words`},
		{"shared word third label", []string{"a", "b", "c"}, [][]string{{"x"}, {"y"}, {"z", "x"}}, "", "", `verbalizer: labels "a" and "c" share the label word "x"; give each label its own words`},
		{"bad word agg", []string{"a"}, [][]string{{"x"}}, "sum", "", `verbalizer: unknown word aggregation "sum" (want first, mean or max)`},
		{"first is not a label agg", []string{"a"}, [][]string{{"x"}}, "", First, `verbalizer: unknown label aggregation "first" (want mean or max)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerbalizer(tt.labels, tt.words, tt.wordAgg, tt.labelAgg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLabelScoresShape(t *testing.T) {
	v, _ := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很", "非常"}, {"不"}}, "", "")
	tests := []struct {
		name   string
		scores TokenScores
		want   string
	}{
		{"labels", TokenScores{{{-1}, {-1}}}, "verbalizer: scores for 1 labels, want 2"},
		{"words", TokenScores{{{-1}}, {{-1}}}, `verbalizer: label "正面": scores for 1 words, want 2`},
		{"tokens", TokenScores{{{-1}, {}}, {{-1}}}, `verbalizer: label "正面": word "非常" has no token scores`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.LabelScores(tt.scores); err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	tok := newFakeTok("很 非常 不 good")
	v, _ := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很", "非常", "good"}, {"不"}}, "", "")
	got, err := v.Tokenize(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := WordIDs{{ids(tok, "很"), ids(tok, "非", "常"), ids(tok, "good")}, {ids(tok, "不")}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Tokenize = %v, want %v", got, want)
	}

	bad, _ := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很", "超棒"}, {"不"}}, "", "")
	_, err = bad.Tokenize(tok)
	want2 := `verbalizer: label "正面": word "超棒": piece "超" is not in the vocabulary (token 0 is [UNK])`
	if err == nil || err.Error() != want2 {
		t.Errorf("err = %v, want %q", err, want2)
	}
	empty, _ := NewVerbalizer([]string{"a"}, [][]string{{" "}}, "", "")
	if _, err := empty.Tokenize(tok); err == nil || err.Error() != `verbalizer: label "a": word " " encodes to no tokens` {
		t.Errorf("err = %v", err)
	}
}

func TestCalibrate(t *testing.T) {
	tests := []struct {
		name         string
		probs, prior []float64
		want         []float64
		err          string
	}{
		// 0.6/0.75 = 0.8, 0.4/0.25 = 1.6; renormalised: 1/3, 2/3.
		{"flips a biased prediction", []float64{0.6, 0.4}, []float64{0.75, 0.25}, []float64{1.0 / 3, 2.0 / 3}, ""},
		{"uniform prior is a no-op", []float64{0.2, 0.3, 0.5}, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, []float64{0.2, 0.3, 0.5}, ""},
		{"zero prior", []float64{0.5, 0.5}, []float64{1, 0}, nil, "calibrate: prior of label 1 is 0, want > 0"},
		{"length mismatch", []float64{0.5, 0.5}, []float64{1}, nil, "calibrate: 2 probabilities, 1 prior values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Calibrate(tt.probs, tt.prior)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !nearAll(got, tt.want) {
				t.Errorf("Calibrate = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func bookPrompt(t *testing.T, tok *fakeTok) *Prompt {
	t.Helper()
	tpl, err := Parse("book", "{mask}满意。{text_a|trunc}", Cloze)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很", "非常"}, {"不"}}, Mean, Mean)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPrompt(tpl, v, tok, 32)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEstimatePrior(t *testing.T) {
	tok := newFakeTok("很 非常 不 满意。 房间一般 N/A")
	p := bookPrompt(t, tok)
	s := &stubScorer{rules: []rule{
		{"N/A", []float64{0.75, 0.25}},
		{"房间一般", []float64{0.6, 0.4}},
	}}
	ctx := context.Background()
	before, err := p.Classify(ctx, s, map[string]string{"text_a": "房间一般"})
	if err != nil {
		t.Fatal(err)
	}
	if before.Label != 0 || !nearAll(before.Probs, []float64{0.6, 0.4}) {
		t.Fatalf("uncalibrated = %+v, want label 0, probs [0.6 0.4]", before)
	}
	if err := p.EstimatePrior(ctx, s, "N/A"); err != nil {
		t.Fatal(err)
	}
	if !nearAll(p.Prior, []float64{0.75, 0.25}) {
		t.Errorf("Prior = %v, want [0.75 0.25]", p.Prior)
	}
	after, err := p.Classify(ctx, s, map[string]string{"text_a": "房间一般"})
	if err != nil {
		t.Fatal(err)
	}
	if after.Label != 1 || !nearAll(after.Probs, []float64{1.0 / 3, 2.0 / 3}) {
		t.Errorf("calibrated = %+v, want label 1, probs [1/3 2/3]", after)
	}
}
