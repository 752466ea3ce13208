package tensor

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	"github.com/sugarme/gotch/ts"
)

// SoftmaxDropout is dropout(softmax(scale·x + bias), p) over the last
// dimension of attention scores x [B, H, T, S], as one C++ op with its own
// backward (the gotch patch's ext package): one pass over the scores each
// way instead of ATen's separate scaling, mask, softmax and dropout passes.
// bias is an additive float mask broadcastable to x that needs no gradient,
// or nil. The dropout mask is a hash of a seed drawn from libtorch's CPU
// generator, so Seed makes it repeat. SoftmaxDropoutApplies says which
// inputs it takes.
func SoftmaxDropout(x, bias *Tensor, scale, p float64) (*Tensor, error) {
	defer Pin()() // the error, if any, is the calling thread's
	return adopt("softmax dropout", ext.SoftmaxDropout(x.Ctensor(), handle(bias), scale, p))
}

// Dropout is inverted dropout of x with probability p, 0 ≤ p < 1, as one
// C++ op with its own backward (the gotch patch's ext package): one pass
// each way, where ATen's CPU dropout draws a Bernoulli tensor, divides it,
// multiplies and keeps it for backward. The mask is a hash of a seed drawn
// from libtorch's CPU generator, so Seed makes it repeat; kept elements are
// scaled by 1/(1 − p) in float32. That op takes float32 and bfloat16 on
// the CPU; anything else goes through ATen's dropout.
func Dropout(x *Tensor, p float64) (*Tensor, error) {
	if !extFloat(x) {
		return ts.Dropout(x, p, true)
	}
	defer Pin()() // the error, if any, is the calling thread's
	return adopt("dropout", ext.Dropout(x.Ctensor(), p))
}

// SoftmaxDropoutApplies reports whether SoftmaxDropout takes scores x and
// bias: 4-D float32 or bfloat16 scores on the CPU, and a floating-point
// bias (any dtype; it is read as float32) that needs no gradient, or nil.
func SoftmaxDropoutApplies(x, bias *Tensor) bool {
	if !extFloat(x) || x.Dim() != 4 {
		return false
	}
	if bias == nil {
		return true
	}
	switch bias.DType() {
	case gotch.Float, gotch.BFloat16, gotch.Half, gotch.Double:
		rg, err := bias.RequiresGrad()
		return err == nil && !rg
	}
	return false
}
