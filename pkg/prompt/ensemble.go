package prompt

import (
	"context"
	"fmt"
	"slices"
)

// Method is how Combine merges the predictions of several prompts.
type Method string

const (
	// MeanProb averages the label distributions (weighted) and takes the
	// argmax: the ensemble of Jiang et al. (2020), "How Can We Know What
	// Language Models Know?".
	MeanProb Method = "mean_prob"
	// MeanScore averages the label scores (log space) and applies softmax,
	// as PET averages its models' logits before distillation.
	MeanScore Method = "mean_score"
	// Vote gives each prompt's argmax label the prompt's weight. The label
	// with the most votes wins; a tie goes to the tied label with the
	// higher mean probability, then to the lower label index. Probs are
	// the vote shares.
	Vote Method = "vote"
)

// Combine merges per-prompt predictions for one example. weights may be
// nil (all 1); otherwise it has one non-negative weight per prediction.
// In every method Scores is the weighted mean of the input scores.
func Combine(preds []Prediction, m Method, weights []float64) (Prediction, error) {
	if len(preds) == 0 {
		return Prediction{}, fmt.Errorf("ensemble: no predictions")
	}
	if weights == nil {
		weights = slices.Repeat([]float64{1}, len(preds))
	}
	if len(weights) != len(preds) {
		return Prediction{}, fmt.Errorf("ensemble: %d weights for %d predictions", len(weights), len(preds))
	}
	total := 0.0
	for i, w := range weights {
		if !(w >= 0) {
			return Prediction{}, fmt.Errorf("ensemble: weight %d is %v, want >= 0", i, w)
		}
		total += w
	}
	if total == 0 {
		return Prediction{}, fmt.Errorf("ensemble: all weights are zero")
	}
	n := len(preds[0].Probs)
	scores, probs, votes := make([]float64, n), make([]float64, n), make([]float64, n)
	for k, p := range preds {
		if len(p.Probs) != n || len(p.Scores) != n {
			return Prediction{}, fmt.Errorf("ensemble: prediction %d has %d labels, want %d", k, len(p.Probs), n)
		}
		w := weights[k] / total
		for i := range n {
			scores[i] += w * p.Scores[i]
			probs[i] += w * p.Probs[i]
		}
		votes[argmax(p.Probs)] += w
	}
	switch m {
	case MeanProb:
		return Prediction{Label: argmax(probs), Scores: scores, Probs: probs}, nil
	case MeanScore:
		sm := softmax(scores)
		return Prediction{Label: argmax(sm), Scores: scores, Probs: sm}, nil
	case Vote:
		best := 0
		for i := range n {
			if votes[i] > votes[best] || (votes[i] == votes[best] && probs[i] > probs[best]) {
				best = i
			}
		}
		return Prediction{Label: best, Scores: scores, Probs: votes}, nil
	}
	return Prediction{}, fmt.Errorf("ensemble: unknown method %q (want mean_prob, mean_score or vote)", m)
}

// Ensemble classifies example with every prompt and combines the
// predictions. The prompts must share one label list, in the same order.
func Ensemble(ctx context.Context, s Scorer, prompts []*Prompt, example map[string]string, m Method, weights []float64) (Prediction, error) {
	for _, p := range prompts { // before any model call
		if !slices.Equal(p.Verbalizer.Labels, prompts[0].Verbalizer.Labels) {
			return Prediction{}, fmt.Errorf("ensemble: prompt %s has labels %v, prompt %s has %v",
				p.Template.Name, p.Verbalizer.Labels, prompts[0].Template.Name, prompts[0].Verbalizer.Labels)
		}
	}
	preds := make([]Prediction, len(prompts))
	for k, p := range prompts {
		pred, err := p.Classify(ctx, s, example)
		if err != nil {
			return Prediction{}, fmt.Errorf("ensemble: %w", err)
		}
		preds[k] = pred
	}
	return Combine(preds, m, weights)
}
