package prompt

import (
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	inf := math.Inf(-1)
	tests := []struct {
		name string
		x    []float64
		want []float64
	}{
		{"log probs come back", []float64{math.Log(0.2), math.Log(0.8)}, []float64{0.2, 0.8}},
		{"large scores do not overflow", []float64{1000, 1000}, []float64{0.5, 0.5}},
		{"an impossible label", []float64{inf, 0}, []float64{0, 1}},
		{"all impossible is uniform", []float64{inf, inf}, []float64{0.5, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := softmax(tt.x); !nearAll(got, tt.want) {
				t.Errorf("softmax(%v) = %v, want %v", tt.x, got, tt.want)
			}
		})
	}
	if got := argmax([]float64{1, 3, 3}); got != 1 {
		t.Errorf("argmax tie = %d, want the lower index 1", got)
	}
}
