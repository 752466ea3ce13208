package tensor

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Optimizer steps over many parameters in one C++ call each (the gotch
// patch's ext package): a per-tensor loop through gotch costs ~10 cgo
// calls and several passes over memory per parameter.

// AdamWHyper are one AdamW step's settings; Step counts from 1 (bias
// correction). GradScale multiplies every gradient as the step reads it
// (clip_grad_norm_'s coefficient, without a pass of its own over the
// gradients, which stay as they are); 0 means 1.
type AdamWHyper struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int64
	GradScale                          float64
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
	scale := h.GradScale
	if scale == 0 {
		scale = 1
	}
	ext.AdamW(p, pm, pv, d, h.LR, h.Beta1, h.Beta2, h.Eps, h.WeightDecay, h.Step, scale, newM, newV)
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
// gradients: it returns the global norm and scales the gradients by
// ClipCoef(norm, maxNorm) when that is below 1.
func ClipGradNorm(params []*Tensor, maxNorm float64) (float64, error) {
	norm, err := GradNorm(params)
	if err != nil {
		return norm, err
	}
	if c := ClipCoef(norm, maxNorm); c < 1 {
		ext.ScaleGrads(handles(params), c)
		if err := ts.TorchErr(); err != nil {
			return norm, fmt.Errorf("clip grad norm: %w", clean(err))
		}
	}
	return norm, nil
}

// GradNorm is the global L2 norm of params' gradients (parameters without
// one count as none), in one call.
func GradNorm(params []*Tensor) (float64, error) {
	defer Pin()()
	norm := ext.GradNorm(handles(params))
	if err := ts.TorchErr(); err != nil {
		return norm, fmt.Errorf("gradient norm: %w", clean(err))
	}
	return norm, nil
}

// ClipCoef is clip_grad_norm_'s scale for gradients of global norm norm:
// maxNorm/(norm+1e-6) when maxNorm > 0, norm is finite and that is below 1;
// 1 otherwise (a non-finite norm leaves gradients as they are).
func ClipCoef(norm, maxNorm float64) float64 {
	c := maxNorm / (norm + 1e-6)
	if maxNorm > 0 && !math.IsNaN(norm) && !math.IsInf(norm, 0) && c < 1 {
		return c
	}
	return 1
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
		out[i] = handle(t)
	}
	return out
}
