package train

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// ClipGradNorm scales the gradients of vars so their global L2 norm is at
// most maxNorm and returns the norm before clipping, as
// torch.nn.utils.clip_grad_norm_ does (coefficient maxNorm/(norm+1e-6),
// applied only when below 1), in one C++ call (tensor.ClipGradNorm).
// maxNorm ≤ 0 only measures the norm. A non-finite norm is returned as is
// and leaves the gradients untouched: the loop stops on it.
func ClipGradNorm(vars []*nn.Var, maxNorm float64) (norm float64, err error) {
	return tensor.ClipGradNorm(params(vars), maxNorm)
}

// GradNorm is the global L2 norm of vars' gradients, for a step that
// clips through AdamW.StepScaled(lr, tensor.ClipCoef(norm, maxNorm)).
func GradNorm(vars []*nn.Var) (float64, error) { return tensor.GradNorm(params(vars)) }

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
