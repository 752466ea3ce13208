package prompt

import (
	"context"
	"math"
	"testing"
)

// pred builds a prediction whose scores are log-probabilities.
func pred(probs ...float64) Prediction {
	s := make([]float64, len(probs))
	for i, p := range probs {
		s[i] = math.Log(p)
	}
	return Prediction{Label: argmax(probs), Scores: s, Probs: probs}
}

func TestCombine(t *testing.T) {
	tests := []struct {
		name      string
		preds     []Prediction
		m         Method
		weights   []float64
		wantLabel int
		wantProbs []float64
	}{
		{"mean prob", []Prediction{pred(0.9, 0.1), pred(0.4, 0.6), pred(0.4, 0.6)}, MeanProb, nil,
			0, []float64{1.7 / 3, 1.3 / 3}},
		{"mean prob weighted", []Prediction{pred(0.9, 0.1), pred(0.4, 0.6)}, MeanProb, []float64{1, 5},
			1, []float64{(0.9 + 2.0) / 6, (0.1 + 3.0) / 6}},
		// Mean log-probs are logs of geometric means: sqrt(0.9*0.4) vs sqrt(0.1*0.6).
		{"mean score is a geometric mean", []Prediction{pred(0.9, 0.1), pred(0.4, 0.6)}, MeanScore, nil,
			0, []float64{math.Sqrt(0.36) / (math.Sqrt(0.36) + math.Sqrt(0.06)), math.Sqrt(0.06) / (math.Sqrt(0.36) + math.Sqrt(0.06))}},
		{"vote majority", []Prediction{pred(0.9, 0.1), pred(0.4, 0.6), pred(0.45, 0.55)}, Vote, nil,
			1, []float64{1.0 / 3, 2.0 / 3}},
		// A and B get two votes each; B has the higher mean probability.
		{"vote tie broken by mean probability", []Prediction{pred(0.5, 0.4, 0.1), pred(0.6, 0.3, 0.1), pred(0.1, 0.8, 0.1), pred(0.2, 0.7, 0.1)}, Vote, nil,
			1, []float64{0.5, 0.5, 0}},
		// Full tie in votes and mean probability: the lower index wins.
		{"vote full tie goes to the lower index", []Prediction{pred(0.6, 0.4), pred(0.4, 0.6)}, Vote, nil,
			0, []float64{0.5, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Combine(tt.preds, tt.m, tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			if got.Label != tt.wantLabel || !nearAll(got.Probs, tt.wantProbs) {
				t.Errorf("Combine = label %d probs %v, want label %d probs %v", got.Label, got.Probs, tt.wantLabel, tt.wantProbs)
			}
		})
	}
}

func TestCombineErrors(t *testing.T) {
	two := []Prediction{pred(0.5, 0.5), pred(0.5, 0.5)}
	tests := []struct {
		name    string
		preds   []Prediction
		m       Method
		weights []float64
		want    string
	}{
		{"none", nil, Vote, nil, "ensemble: no predictions"},
		{"weights", two, Vote, []float64{1}, "ensemble: 1 weights for 2 predictions"},
		{"negative weight", two, Vote, []float64{1, -1}, "ensemble: weight 1 is -1, want >= 0"},
		{"zero weights", two, Vote, []float64{0, 0}, "ensemble: all weights are zero"},
		{"label count", []Prediction{pred(0.5, 0.5), pred(0.2, 0.3, 0.5)}, MeanProb, nil, "ensemble: prediction 1 has 3 labels, want 2"},
		{"method", two, "median", nil, `ensemble: unknown method "median" (want mean_prob, mean_score or vote)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Combine(tt.preds, tt.m, tt.weights); err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestEnsemble(t *testing.T) {
	tok := newFakeTok("很 非常 不 满意。 总之 。 房间一般")
	a := bookPrompt(t, tok)
	tpl, err := Parse("b", "{text_a|trunc}总之{mask}满意。", Cloze)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPrompt(tpl, a.Verbalizer, tok, 32)
	if err != nil {
		t.Fatal(err)
	}
	s := &stubScorer{rules: []rule{
		{"[CLS][MASK]满意。", []float64{0.55, 0.45}}, // template a
		{"总之", []float64{0.15, 0.85}},             // template b
	}}
	got, err := Ensemble(context.Background(), s, []*Prompt{a, b}, map[string]string{"text_a": "房间一般"}, MeanProb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Label != 1 || !nearAll(got.Probs, []float64{0.35, 0.65}) {
		t.Errorf("Ensemble = %+v, want label 1, probs [0.35 0.65]", got)
	}
	if len(s.seen) != 2 {
		t.Errorf("scored %d prompts, want 2", len(s.seen))
	}
}
