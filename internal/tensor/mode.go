package tensor

import (
	"fmt"
	"sync/atomic"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// NoGrad runs fn with gradient recording off and restores the previous mode.
// libtorch keeps grad mode per OS thread, so the goroutine is pinned to its
// thread for the duration (thread.go). A *Error panic inside fn is returned
// as an error.
func NoGrad(fn func()) (err error) {
	defer Pin()()
	prev, gerr := ts.GradSetEnabled(false)
	if gerr != nil {
		return fmt.Errorf("disable grad: %w", gerr)
	}
	defer func() { _, _ = ts.GradSetEnabled(prev) }()
	return Catch(fn)
}

// Autocast runs fn with libtorch's autocast on for the device's kind (CPU or
// CUDA) in the given reduced dtype (BFloat16 on CPU; Half or BFloat16 on
// CUDA): matmuls and linear layers run in dtype, numerically sensitive ops
// (softmax, log_softmax, norms, losses) in float32, exactly as
// torch.autocast does. Pinned to one OS thread like NoGrad.
func Autocast(dev gotch.Device, dtype gotch.DType, fn func()) (err error) {
	defer Pin()()
	kind := 0
	if dev.IsCuda() {
		kind = 1
	}
	code := int32(dtype.CInt())
	if prev := lib.Autocast(kind, true, code); prev < 0 {
		return fmt.Errorf("enable autocast: %w", ts.TorchErr())
	}
	defer lib.Autocast(kind, false, code)
	if kind == 0 && dtype == gotch.BFloat16 {
		cpuAutocast.Add(1)
		defer cpuAutocast.Add(-1)
		defer ext.AutocastRegionEnd()
	}
	return Catch(fn)
}

// cpuAutocast counts the CPU bfloat16 Autocast calls under way, on any
// thread: where it is 0, AutocastWeight needs no call into C++ to know
// that autocast is off.
var cpuAutocast atomic.Int32

// AutocastWeight is what a matmul should read for the weight w. Under CPU
// bfloat16 autocast that is a bfloat16 copy of a float32 weight, kept
// between steps and rewritten by AdamWStep in the pass that updates the
// weight, where autocast would cast the weight anew at every use (a copy
// goes stale, and is cast again, when the weight changes any other way);
// the gradient reaches w as through the cast. Otherwise it is w. The copy
// is owned by s; w is returned as it is.
func AutocastWeight(s *Scope, w *Tensor) *Tensor {
	if cpuAutocast.Load() == 0 || w == nil {
		return w
	}
	defer Pin()()
	return s.T(adopt("autocast weight", ext.AutocastWeight(w.Ctensor())))
}

// WeightCopies reports how many bfloat16 weight copies AutocastWeight
// keeps and how many casts have made one since the process started.
func WeightCopies() (kept, cast int64) {
	defer Pin()()
	return ext.WeightCopies()
}
