package tensor

import (
	"github.com/sugarme/gotch/ext"
)

// GeluTanh is GELU's tanh approximation (HF's gelu_new, F.gelu with
// approximate="tanh"). Float32 and bfloat16 tensors on the CPU go through
// the gotch patch's one-exponential kernel, with its own backward (ATen's
// computes a 1-ulp tanh forward and again backward; this one agrees with
// it to a few float32 ulps, see the ext source); anything else through
// ATen's gelu.
func GeluTanh(x *Tensor) (*Tensor, error) {
	if !extFloat(x) {
		return x.Gelu("tanh", false)
	}
	defer Pin()() // the error, if any, is the calling thread's
	return adopt("gelu", ext.GeluTanh(x.Ctensor()))
}
