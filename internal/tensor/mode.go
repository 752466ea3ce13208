package tensor

import (
	"fmt"

	"github.com/sugarme/gotch"
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
	return Catch(fn)
}
