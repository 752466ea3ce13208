package prompt

import (
	"context"
	"fmt"
	"math"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// Compose joins cloze sub-templates into one prompt, sep between them,
// keeping every sub-template's masks (PTR, Han et al. 2021: "the person
// [MASK] 's parent was the [MASK] person"). Mask slots keep their order, so
// sub-template i owns the slots after those of sub-templates 0..i-1.
func Compose(name, sep string, subs ...*Template) (*Template, error) {
	if len(subs) == 0 {
		return nil, fmt.Errorf("compose %s: no sub-templates", name)
	}
	t := &Template{Name: name, Kind: Cloze}
	seps := 0
	for i, s := range subs {
		if s.Kind != Cloze {
			return nil, fmt.Errorf("compose %s: sub-template %s is %v; only cloze templates compose, a prefix template has one mask at its end", name, s.Name, s.Kind)
		}
		if i > 0 && sep != "" {
			t.Parts = append(t.Parts, Part{Kind: Text, Text: sep})
		}
		for _, p := range s.Parts {
			if p.Kind == Sep {
				if seps++; seps > 1 {
					return nil, fmt.Errorf("compose %s: more than one {sep} across sub-templates", name)
				}
			}
			t.Parts = append(t.Parts, p)
		}
	}
	return t, nil
}

// Composition classifies with a composed template: one verbalizer per
// mask slot, and rules that say which slot labels make up each final
// label. As in PTR, a final label's score is the sum of its slot labels'
// log-probabilities (the product of their probabilities); Probs is the
// softmax over final labels.
type Composition struct {
	Template *Template
	Slots    []*Verbalizer // Slots[j] verbalizes mask slot j
	Labels   []string      // final labels
	Rules    [][]string    // Rules[i][j]: the label of Slots[j] that final label i needs
	Tok      tokenizer.Tokenizer
	MaxLen   int
	words    []WordIDs
	rules    [][]int // rule labels as slot-label indices
}

// NewComposition checks the slots and rules against the template and
// tokenizes every slot's words.
func NewComposition(t *Template, slots []*Verbalizer, labels []string, rules [][]string, tok tokenizer.Tokenizer, maxLen int) (*Composition, error) {
	if t.Masks() != len(slots) {
		return nil, fmt.Errorf("composition %s: %d mask slots, %d verbalizers", t.Name, t.Masks(), len(slots))
	}
	if len(rules) != len(labels) {
		return nil, fmt.Errorf("composition %s: %d labels, %d rules", t.Name, len(labels), len(rules))
	}
	c := &Composition{Template: t, Slots: slots, Labels: labels, Rules: rules, Tok: tok, MaxLen: maxLen}
	for j, v := range slots {
		w, err := v.Tokenize(tok)
		if err != nil {
			return nil, fmt.Errorf("composition %s: slot %d: %w", t.Name, j, err)
		}
		c.words = append(c.words, w)
	}
	for i, r := range rules {
		if len(r) != len(slots) {
			return nil, fmt.Errorf("composition %s: label %q: rule has %d slot labels, want %d", t.Name, labels[i], len(r), len(slots))
		}
		idx := make([]int, len(r))
		for j, l := range r {
			if idx[j] = slots[j].Index(l); idx[j] < 0 {
				return nil, fmt.Errorf("composition %s: label %q: slot %d has no label %q (has %v)", t.Name, labels[i], j, l, slots[j].Labels)
			}
		}
		c.rules = append(c.rules, idx)
	}
	return c, nil
}

// Combine turns per-slot label distributions into final label scores
// (sum of log-probabilities) and probabilities.
func (c *Composition) Combine(slotProbs [][]float64) (Prediction, error) {
	if len(slotProbs) != len(c.Slots) {
		return Prediction{}, fmt.Errorf("composition %s: %d slot distributions, want %d", c.Template.Name, len(slotProbs), len(c.Slots))
	}
	scores := make([]float64, len(c.Labels))
	for i, r := range c.rules {
		for j, l := range r {
			if len(slotProbs[j]) != len(c.Slots[j].Labels) {
				return Prediction{}, fmt.Errorf("composition %s: slot %d: %d probabilities, want %d", c.Template.Name, j, len(slotProbs[j]), len(c.Slots[j].Labels))
			}
			scores[i] += math.Log(slotProbs[j][l])
		}
	}
	probs := softmax(scores)
	return Prediction{Label: argmax(probs), Scores: scores, Probs: probs}, nil
}

// Classify renders example once, scores every slot's words at its own
// masks and combines them.
func (c *Composition) Classify(ctx context.Context, s Scorer, example map[string]string) (Prediction, error) {
	r, err := c.Template.Render(example, c.Tok, c.MaxLen)
	if err != nil {
		return Prediction{}, err
	}
	slotProbs := make([][]float64, len(c.Slots))
	for j, v := range c.Slots {
		ts, err := s.Score(ctx, r, j, c.words[j])
		if err != nil {
			return Prediction{}, fmt.Errorf("composition %s: slot %d: score: %w", c.Template.Name, j, err)
		}
		if slotProbs[j], err = v.Probs(ts); err != nil {
			return Prediction{}, fmt.Errorf("composition %s: slot %d: %w", c.Template.Name, j, err)
		}
	}
	return c.Combine(slotProbs)
}
