package train

import (
	"math"

	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// ClipGradNorm scales the gradients of vars so their global L2 norm is at
// most maxNorm and returns the norm before clipping, as
// torch.nn.utils.clip_grad_norm_ does (coefficient maxNorm/(norm+1e-6),
// applied only when below 1). maxNorm ≤ 0 only measures the norm. A
// non-finite norm is returned as is and leaves the gradients untouched:
// the loop stops on it.
func ClipGradNorm(vars []*nn.Var, maxNorm float64) (norm float64, err error) {
	err = tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		var grads, norms []*tensor.Tensor
		for _, v := range vars {
			g := s.T(v.T.Grad(false))
			if ok, err := g.Defined(); err != nil || !ok {
				continue
			}
			grads = append(grads, g)
			norms = append(norms, s.T(g.Norm(false))) // L2 norm of one tensor
		}
		if len(grads) == 0 {
			return
		}
		total := s.T(s.T(ts.Stack(norms, 0)).Norm(false))
		n, err := tensor.Item(total)
		tensor.Check(err)
		norm = n
		coef := maxNorm / (norm + 1e-6)
		if maxNorm <= 0 || coef >= 1 || math.IsNaN(norm) || math.IsInf(norm, 0) {
			return
		}
		c := s.Float(coef)
		for _, g := range grads {
			tensor.Check(g.MulScalar_(c))
		}
	})
	return norm, err
}

// gradOf returns a copy of v's gradient values, for tests and checks.
func gradOf(v *nn.Var) ([]float32, error) {
	var out []float32
	err := tensor.NoGrad(func() {
		g, err := v.T.Grad(false)
		tensor.Check(err)
		defer tensor.Free(g)
		if ok, _ := g.Defined(); !ok {
			return
		}
		out, err = tensor.Float32s(g)
		tensor.Check(err)
	})
	return out, err
}
