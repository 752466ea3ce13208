package tensor

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// GeluTanh is GELU's tanh approximation (HF's gelu_new, F.gelu with
// approximate="tanh"). Float32 and bfloat16 tensors on the CPU go through
// the gotch patch's one-exponential kernel, with its own backward (ATen's
// computes a 1-ulp tanh forward and again backward; this one agrees with
// it to a few float32 ulps, see the ext source); anything else through
// ATen's gelu.
func GeluTanh(x *Tensor) (*Tensor, error) {
	if !fusedGelu(x) {
		return x.Gelu("tanh", false)
	}
	defer Pin()() // the error, if any, is the calling thread's
	p := ext.GeluTanh(x.Ctensor())
	if err := ts.TorchErr(); err != nil {
		if p != nil {
			Free(ts.New(lib.Ctensor(p)))
		}
		return nil, fmt.Errorf("gelu: %w", clean(err))
	}
	return ts.New(lib.Ctensor(p)), nil
}

// fusedGelu reports whether GeluTanh's own kernel takes x.
func fusedGelu(x *Tensor) bool {
	if d, err := x.Device(); err != nil || d.IsCuda() {
		return false
	}
	k := x.DType()
	return k == gotch.Float || k == gotch.BFloat16
}
