package prompt

import (
	"context"
	"fmt"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// Scorer is what a model runner implements to classify with prompts.
// Score returns the score of every token of every label word at mask slot
// `slot` of r (r.Masks[slot]), shaped like words: [label][word][token].
//
// An MLM runner (PET, the book's BERT cloze) reads log-softmax of the MLM
// head at the slot's [MASK] positions, token i of a word at position i
// when the slot has enough masks. A decoder runner appends the word's
// tokens at r.Masks[slot] and returns their log-likelihoods under teacher
// forcing.
type Scorer interface {
	Score(ctx context.Context, r *Rendered, slot int, words WordIDs) (TokenScores, error)
}

// ScorerFunc adapts a function to Scorer.
type ScorerFunc func(ctx context.Context, r *Rendered, slot int, words WordIDs) (TokenScores, error)

func (f ScorerFunc) Score(ctx context.Context, r *Rendered, slot int, words WordIDs) (TokenScores, error) {
	return f(ctx, r, slot, words)
}

// Prompt is a template, its verbalizer and the tokenizer they were
// checked against: one prompt-based classifier.
type Prompt struct {
	Template   *Template
	Verbalizer *Verbalizer
	Tok        tokenizer.Tokenizer
	MaxLen     int // maximum prompt length in tokens; <= 0 for none
	// Prior, when set, holds label probabilities for a content-free input;
	// Classify then applies contextual calibration (see Calibrate).
	Prior []float64
	words WordIDs
}

// NewPrompt tokenizes the verbalizer's words once and checks that the
// template has exactly one mask slot (use Compose for several).
func NewPrompt(t *Template, v *Verbalizer, tok tokenizer.Tokenizer, maxLen int) (*Prompt, error) {
	if n := t.Masks(); n != 1 {
		return nil, fmt.Errorf("prompt %s: %d mask slots, want 1 (compose sub-prompts for more)", t.Name, n)
	}
	words, err := v.Tokenize(tok)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", t.Name, err)
	}
	return &Prompt{Template: t, Verbalizer: v, Tok: tok, MaxLen: maxLen, words: words}, nil
}

// Words returns the tokenized label words.
func (p *Prompt) Words() WordIDs { return p.words }

// Prediction is a classifier's output for one example.
type Prediction struct {
	Label  int       // index into the verbalizer's Labels
	Scores []float64 // label scores (log space) from the verbalizer, never calibrated
	Probs  []float64 // label distribution, calibrated when a prior is set
}

// Render renders example for this prompt's template and length limit.
func (p *Prompt) Render(example map[string]string) (*Rendered, error) {
	return p.Template.Render(example, p.Tok, p.MaxLen)
}

// Classify renders example, scores the label words and returns the
// prediction.
func (p *Prompt) Classify(ctx context.Context, s Scorer, example map[string]string) (Prediction, error) {
	r, err := p.Render(example)
	if err != nil {
		return Prediction{}, err
	}
	return p.classify(ctx, s, r)
}

func (p *Prompt) classify(ctx context.Context, s Scorer, r *Rendered) (Prediction, error) {
	ts, err := s.Score(ctx, r, 0, p.words)
	if err != nil {
		return Prediction{}, fmt.Errorf("prompt %s: score: %w", p.Template.Name, err)
	}
	scores, err := p.Verbalizer.LabelScores(ts)
	if err != nil {
		return Prediction{}, fmt.Errorf("prompt %s: %w", p.Template.Name, err)
	}
	probs := softmax(scores)
	if p.Prior != nil {
		if probs, err = Calibrate(probs, p.Prior); err != nil {
			return Prediction{}, fmt.Errorf("prompt %s: %w", p.Template.Name, err)
		}
	}
	return Prediction{Label: argmax(probs), Scores: scores, Probs: probs}, nil
}
