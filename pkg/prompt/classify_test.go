package prompt

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestNewPromptErrors(t *testing.T) {
	tok := newFakeTok("很 不")
	v, _ := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很"}, {"不"}}, "", "")
	two, _ := Parse("two", "{x}{mask}{mask}", Cloze)
	if _, err := NewPrompt(two, v, tok, 0); err == nil || err.Error() != "prompt two: 2 mask slots, want 1 (compose sub-prompts for more)" {
		t.Errorf("two slots: err = %v", err)
	}
	one, _ := Parse("one", "{x}{mask}", Cloze)
	unk, _ := NewVerbalizer([]string{"正面"}, [][]string{{"棒"}}, "", "")
	if _, err := NewPrompt(one, unk, tok, 0); err == nil || err.Error() != `prompt one: verbalizer: label "正面": word "棒": piece "棒" is not in the vocabulary (token 0 is [UNK])` {
		t.Errorf("unknown word: err = %v", err)
	}
}

func TestClassifyErrors(t *testing.T) {
	tok := newFakeTok("很 非常 不 满意。 房间")
	p := bookPrompt(t, tok)
	ctx := context.Background()
	boom := errors.New("boom")
	failing := ScorerFunc(func(context.Context, *Rendered, int, WordIDs) (TokenScores, error) { return nil, boom })
	if _, err := p.Classify(ctx, failing, map[string]string{"text_a": "房间"}); !errors.Is(err, boom) || err.Error() != "prompt book: score: boom" {
		t.Errorf("scorer error: %v", err)
	}
	misshapen := ScorerFunc(func(context.Context, *Rendered, int, WordIDs) (TokenScores, error) {
		return TokenScores{{{-1}}}, nil
	})
	if _, err := p.Classify(ctx, misshapen, map[string]string{"text_a": "房间"}); err == nil || err.Error() != "prompt book: verbalizer: scores for 1 labels, want 2" {
		t.Errorf("misshapen scores: %v", err)
	}
	if _, err := p.Classify(ctx, failing, map[string]string{"text_b": "房间"}); err == nil || err.Error() != `book: example has no field "text_a"` {
		t.Errorf("missing field: %v", err)
	}

	other, _ := NewVerbalizer([]string{"负面", "正面"}, [][]string{{"不"}, {"很"}}, "", "")
	q, err := NewPrompt(p.Template, other, tok, 32)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Ensemble(ctx, failing, []*Prompt{p, q}, map[string]string{"text_a": "房间"}, Vote, nil)
	if want := "ensemble: prompt book has labels [负面 正面], prompt book has [正面 负面]"; err == nil || err.Error() != want {
		t.Errorf("label order: err = %v, want %q", err, want)
	}
}

func TestMaskPositions(t *testing.T) {
	r := Rendered{Masks: [][]int{{2}, {5, 6}}}
	if got := r.MaskPositions(); !reflect.DeepEqual(got, []int{2, 5, 6}) {
		t.Errorf("MaskPositions = %v", got)
	}
}
