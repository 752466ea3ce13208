package train

import (
	"math"
	"testing"

	"github.com/gotrl/gotrl/pkg/data"
)

// countedToy is the toy model as an ItemCounter: its loss is the mean over
// labels other than -100, so it counts those.
type countedToy struct{ *toy }

func (m countedToy) Items(b data.Batch) int {
	n := 0
	for _, row := range b.Labels {
		for _, l := range row {
			if l != data.IgnoreIndex {
				n++
			}
		}
	}
	return n
}

// TestItemWeightedAccumulation: with examples that learn different numbers
// of tokens, 4 accumulated micro-batches of 2 give the gradients of one
// batch of 8 when the stage counts its items (the mean over every token),
// and measurably different ones when it does not (the mean of means).
func TestItemWeightedAccumulation(t *testing.T) {
	exs := toyData(8, 5)
	for i := range exs {
		for j := range i % 5 { // example i learns 5 - i%5 tokens
			exs[i].Labels[j] = data.IgnoreIndex
		}
	}
	grads := func(batch, accum int, counted bool) [][]float32 {
		return accumulatedGrads(t, exs, batch, accum, counted)
	}
	diff := func(a, b [][]float32) float64 {
		worst := 0.0
		for i := range a {
			for j := range a[i] {
				worst = max(worst, math.Abs(float64(a[i][j]-b[i][j])))
			}
		}
		return worst
	}
	if d := diff(grads(8, 1, true), grads(2, 4, true)); d > 1e-6 {
		t.Errorf("counted: batch 8 and 4×2 gradients differ by %g", d)
	}
	if d := diff(grads(8, 1, false), grads(2, 4, false)); d < 1e-4 {
		t.Errorf("uncounted: batch 8 and 4×2 differ by only %g; the counted check proves nothing", d)
	}
}
