package train

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestClipGradNorm sets gradients (3, 0, 0, 0) and (0, 4, 0): the global
// norm is 5 by hand, and clipping to maxNorm scales them by maxNorm/(5+1e-6).
func TestClipGradNorm(t *testing.T) {
	tests := []struct {
		name    string
		maxNorm float64
		scale   float64
	}{
		{"clipped", 1, 1 / (5 + 1e-6)},
		{"under the limit", 10, 1},
		{"measure only", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := nn.NewStore(gotch.CPU)
			defer store.Close()
			ga, gb := []float32{3, 0, 0, 0}, []float32{0, 4, 0}
			err := tensor.Catch(func() {
				a := store.Root().Param("a", []int64{2, 2}, nn.Ones())
				b := store.Root().Param("b", []int64{3}, nn.Ones())
				s := tensor.NewScope()
				defer s.Close()
				ca := s.T(tensor.FromFloat32s(ga, []int64{2, 2}, gotch.CPU))
				cb := s.T(tensor.FromFloat32s(gb, []int64{3}, gotch.CPU))
				la := s.T(s.T(a.Mul(ca, false)).Sum(gotch.Float, false))
				lb := s.T(s.T(b.Mul(cb, false)).Sum(gotch.Float, false))
				tensor.Check(s.T(la.Add(lb, false)).Backward()) // grads = ca, cb
			})
			if err != nil {
				t.Fatal(err)
			}
			norm, err := ClipGradNorm(store.Trainable(), tt.maxNorm)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(norm-5) > 1e-6 {
				t.Errorf("norm = %v, want 5", norm)
			}
			for i, want := range [][]float32{ga, gb} {
				got, err := gradOf(store.Trainable()[i])
				if err != nil {
					t.Fatal(err)
				}
				for j := range want {
					if w := float64(want[j]) * tt.scale; math.Abs(float64(got[j])-w) > 1e-6 {
						t.Errorf("var %d grad[%d] = %v, want %v", i, j, got[j], w)
					}
				}
			}
		})
	}
}
