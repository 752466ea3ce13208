package layers

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Activation maps a tensor to a new tensor (owned by the caller).
type Activation func(x *tensor.Tensor) *tensor.Tensor

// activations is transformers' ACT2FN (activations.py, v4.46): every name
// a config's activation_function, hidden_act or feed_forward_proj may
// give, so that none is silently replaced by another. testdata/models/
// act2fn holds HF's values of each.
var activations = map[string]func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor{
	"gelu":        geluErf,
	"gelu_python": geluErf, // HF's own erf formula
	"gelu_10": func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor {
		return s.T(geluErf(s, x).Clamp(s.Float(-10), s.Float(10), false))
	},
	"quick_gelu": func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { // x·σ(1.702x)
		return s.T(x.Mul(s.T(s.T(x.MulScalar(s.Float(1.702), false)).Sigmoid(false)), false))
	},
	"laplace": func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { // ½(1 + erf((x − μ)/(σ√2)))
		const mu, sigma = 0.707107, 0.282095
		z := s.T(s.T(x.SubScalar(s.Float(mu), false)).DivScalar(s.Float(sigma*math.Sqrt2), false))
		return s.T(s.T(s.T(z.Erf(false)).AddScalar(s.Float(1), false)).MulScalar(s.Float(0.5), false))
	},
	"leaky_relu": func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(x.LeakyRelu(false)) }, // slope 0.01
	"linear":     func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(x.ShallowClone()) },
	"mish":       func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(x.Mish(false)) },
	"relu":       relu,
	"relu2":      func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(relu(s, x).Square(false)) },
	"relu6":      func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(x.Relu6(false)) },
	"sigmoid":    func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(x.Sigmoid(false)) },
	"silu":       silu,
	"swish":      silu,
	"tanh":       func(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(x.Tanh(false)) },
}

// tanhGELUs name GELU's tanh approximation (tensor.GeluTanh); gelu_fast
// and gelu_accurate spell its constants differently, equal to float32
// rounding.
var tanhGELUs = []string{"gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate"}

func init() {
	for _, name := range tanhGELUs {
		activations[name] = geluTanh
	}
}

// TanhGELU reports whether the activation name is GELU's tanh
// approximation, the one fused decoding kernels compute.
func TanhGELU(name string) bool { return slices.Contains(tanhGELUs, name) }

func geluErf(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor  { return s.T(x.Gelu("none", false)) }
func geluTanh(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor { return s.T(tensor.GeluTanh(x)) }
func relu(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor     { return s.T(x.Relu(false)) }
func silu(s *tensor.Scope, x *tensor.Tensor) *tensor.Tensor     { return s.T(x.Silu(false)) }

// NewActivation returns HF's ACT2FN entry for name, or an error naming
// the ones there are.
func NewActivation(name string) (Activation, error) {
	f, ok := activations[name]
	if !ok {
		return nil, fmt.Errorf("unknown activation %q (want one of transformers' ACT2FN: %s)", name, strings.Join(slices.Sorted(maps.Keys(activations)), ", "))
	}
	return func(x *tensor.Tensor) *tensor.Tensor {
		s := tensor.NewScope()
		defer s.Close()
		return s.Keep(f(s, x))
	}, nil
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
