package tensor

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Optimizer steps over many parameters in one C++ call each (the gotch
// patch's ext package): a per-tensor loop through gotch costs ~10 cgo
// calls and several passes over memory per parameter.

// AdamWHyper are one AdamW step's settings; Step counts from 1 (bias
// correction).
type AdamWHyper struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int64
}

// AdamWStep is torch.optim.AdamW's update (amsgrad=False) over params in
// one call: fused per element for contiguous float32 tensors, ATen's
// in-place ops otherwise. m and v hold the moments (exp_avg, exp_avg_sq);
// a nil entry whose parameter has a gradient is created (zeros) and stored.
// Parameters without a gradient are skipped; decay[i] applies weight decay.
func AdamWStep(params, m, v []*Tensor, decay []bool, h AdamWHyper) error {
	n := len(params)
	if len(m) != n || len(v) != n || len(decay) != n {
		return fmt.Errorf("adamw step: %d params, %d exp_avg, %d exp_avg_sq, %d decay flags", n, len(m), len(v), len(decay))
	}
	defer Pin()()
	p, pm, pv := handles(params), handles(m), handles(v)
	d := make([]uint8, n)
	for i, x := range decay {
		if x {
			d[i] = 1
		}
	}
	newM, newV := make([]unsafe.Pointer, n), make([]unsafe.Pointer, n)
	ext.AdamW(p, pm, pv, d, h.LR, h.Beta1, h.Beta2, h.Eps, h.WeightDecay, h.Step, newM, newV)
	for i := range newM { // own what was created, even on error
		if newM[i] != nil {
			m[i], v[i] = ts.New(lib.Ctensor(newM[i])), ts.New(lib.Ctensor(newV[i]))
		}
	}
	if err := ts.TorchErr(); err != nil {
		return fmt.Errorf("adamw step: %w", clean(err))
	}
	return nil
}

// ClipGradNorm is torch.nn.utils.clip_grad_norm_ (L2) over params'
// gradients in one call: it returns the global norm and, when maxNorm > 0
// and the norm is finite, scales the gradients by maxNorm/(norm+1e-6) if
// that is below 1.
func ClipGradNorm(params []*Tensor, maxNorm float64) (float64, error) {
	defer Pin()()
	norm := ext.ClipGradNorm(handles(params), maxNorm)
	if err := ts.TorchErr(); err != nil {
		return norm, fmt.Errorf("clip grad norm: %w", clean(err))
	}
	return norm, nil
}

// GradsToNone makes params' gradients undefined, as PyTorch 2.x's
// zero_grad(set_to_none=True): the next backward writes fresh gradients
// instead of adding to zeroed ones.
func GradsToNone(params []*Tensor) error {
	ext.GradsToNone(handles(params))
	if err := ts.TorchErr(); err != nil {
		return fmt.Errorf("zero grad: %w", clean(err))
	}
	return nil
}

// handles returns the C handles of ts (nil entries stay nil).
func handles(tensors []*Tensor) []unsafe.Pointer {
	out := make([]unsafe.Pointer, len(tensors))
	for i, t := range tensors {
		if t != nil {
			out[i] = t.Ctensor()
		}
	}
	return out
}
