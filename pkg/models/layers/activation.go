package layers

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Activation maps a tensor to a new tensor (owned by the caller).
type Activation func(x *tensor.Tensor) *tensor.Tensor

// NewActivation returns HF's ACT2FN entry for name: "gelu" (erf),
// "gelu_new" / "gelu_pytorch_tanh" / "gelu_fast" (tanh approximation),
// "relu", "silu"/"swish", "tanh".
func NewActivation(name string) (Activation, error) {
	one := func(f func(x *tensor.Tensor) (*tensor.Tensor, error)) Activation {
		return func(x *tensor.Tensor) *tensor.Tensor {
			y, err := f(x)
			tensor.Checkf(err, "activation %s", name)
			return y
		}
	}
	switch name {
	case "gelu":
		return one(func(x *tensor.Tensor) (*tensor.Tensor, error) { return x.Gelu("none", false) }), nil
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
		return one(tensor.GeluTanh), nil
	case "relu":
		return one(func(x *tensor.Tensor) (*tensor.Tensor, error) { return x.Relu(false) }), nil
	case "silu", "swish":
		return one(func(x *tensor.Tensor) (*tensor.Tensor, error) { return x.Silu(false) }), nil
	case "tanh":
		return one(func(x *tensor.Tensor) (*tensor.Tensor, error) { return x.Tanh(false) }), nil
	}
	return nil, fmt.Errorf("unknown activation %q (want gelu, gelu_new, gelu_pytorch_tanh, relu, silu or tanh)", name)
}

// Dropout applies inverted dropout with probability p when train is set;
// otherwise it returns a shallow copy (the caller owns the result either way).
func Dropout(x *tensor.Tensor, p float64, train bool) *tensor.Tensor {
	if !train || p == 0 {
		y, err := x.ShallowClone()
		tensor.Check(err)
		return y
	}
	y, err := dropout(x, p)
	tensor.Check(err)
	return y
}

// dropout is the training-mode op (tensor.Dropout: one pass on the CPU,
// ATen's elsewhere).
func dropout(x *tensor.Tensor, p float64) (*tensor.Tensor, error) { return tensor.Dropout(x, p) }
