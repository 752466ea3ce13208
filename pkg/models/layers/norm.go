package layers

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// LayerNorm is torch.nn.LayerNorm over the last dimension: weight, bias [dim].
type LayerNorm struct {
	Weight, Bias *tensor.Tensor
	Dim          int64
	Eps          float64
}

// NewLayerNorm registers weight = 1 and bias = 0 under p.
func NewLayerNorm(p *nn.Path, dim int64, eps float64) *LayerNorm {
	return &LayerNorm{
		Weight: p.Param("weight", []int64{dim}, nn.Ones()),
		Bias:   p.Param("bias", []int64{dim}, nn.Zeros()),
		Dim:    dim, Eps: eps,
	}
}

// Forward normalizes [..., dim].
func (l *LayerNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	return s.Keep(s.T(ts.LayerNorm(x, []int64{l.Dim}, l.Weight, l.Bias, l.Eps, false)))
}

// RMSNorm is T5's T5LayerNorm: x * rsqrt(mean(x²) + eps) * weight, no mean
// subtraction and no bias, the variance computed in float32 (as HF does,
// even for half-precision inputs).
type RMSNorm struct {
	Weight *tensor.Tensor
	Eps    float64
}

// NewRMSNorm registers weight = 1 under p.
func NewRMSNorm(p *nn.Path, dim int64, eps float64) *RMSNorm {
	return &RMSNorm{Weight: p.Param("weight", []int64{dim}, nn.Ones()), Eps: eps}
}

// Forward normalizes [..., dim].
func (r *RMSNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	x32 := x
	if x.DType() != gotch.Float {
		x32 = s.T(x.Totype(gotch.Float, false))
	}
	variance := s.T(s.T(x32.Square(false)).MeanDim([]int64{-1}, true, gotch.Float, false)) // [..., 1]
	inv := s.T(s.T(variance.AddScalar(s.Float(r.Eps), false)).Rsqrt(false))
	y := s.T(x32.Mul(inv, false))
	if wt := r.Weight.DType(); wt != gotch.Float { // HF casts back to the weight's half dtype
		y = s.T(y.Totype(wt, false))
	}
	return s.Keep(s.T(y.Mul(r.Weight, false)))
}
