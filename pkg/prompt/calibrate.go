package prompt

import (
	"context"
	"fmt"
)

// DefaultContentFree are the content-free inputs of Zhao et al. (2021),
// "Calibrate Before Use": their label probabilities estimate the prompt's
// bias toward some labels.
var DefaultContentFree = []string{"N/A", "", "[MASK]"}

// Calibrate applies contextual calibration: each label probability is
// divided by its content-free prior and the result renormalised to sum to
// 1. (The paper's W = diag(prior)^-1 followed by a normalisation; with a
// uniform prior it changes nothing.)
func Calibrate(probs, prior []float64) ([]float64, error) {
	if len(probs) != len(prior) {
		return nil, fmt.Errorf("calibrate: %d probabilities, %d prior values", len(probs), len(prior))
	}
	out := make([]float64, len(probs))
	for i, p := range probs {
		if !(prior[i] > 0) {
			return nil, fmt.Errorf("calibrate: prior of label %d is %v, want > 0", i, prior[i])
		}
		out[i] = p / prior[i]
	}
	normalize(out)
	return out, nil
}

// ContentFreeExample fills every field of t with s.
func ContentFreeExample(t *Template, s string) map[string]string {
	ex := map[string]string{}
	for _, f := range t.Fields() {
		ex[f] = s
	}
	return ex
}

// EstimatePrior sets p.Prior to the mean label distribution over the
// content-free inputs (DefaultContentFree when none are given), each
// filling every field of the template. Later Classify calls are
// calibrated by it. The prior itself is estimated uncalibrated.
func (p *Prompt) EstimatePrior(ctx context.Context, s Scorer, contentFree ...string) error {
	if len(contentFree) == 0 {
		contentFree = DefaultContentFree
	}
	p.Prior = nil
	prior := make([]float64, len(p.Verbalizer.Labels))
	for _, cf := range contentFree {
		pred, err := p.Classify(ctx, s, ContentFreeExample(p.Template, cf))
		if err != nil {
			return fmt.Errorf("content-free input %q: %w", cf, err)
		}
		for i, v := range pred.Probs {
			prior[i] += v / float64(len(contentFree))
		}
	}
	p.Prior = prior
	return nil
}
