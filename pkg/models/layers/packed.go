package layers

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// packed is one projection's weight prepared once for inference in a
// Precision. Its tensors are copies: training the layer's weight does not
// change them (Quantize again after an update).
type packed struct {
	prec Precision
	// weight: FP32 [in, out] contiguous; BF16 [out, in] bfloat16,
	// contiguous; Int8 a zero-stride int8 [out, in] view, since fbgemm
	// reads only its shape.
	weight *tensor.Tensor
	matrix *tensor.Tensor // Int8, FP16: fbgemm's packed matrix
	// scale (Int8) is each output row's weight scale, [out]: row n of the
	// weight is scale[n]·q[n, :].
	scale *tensor.Tensor
	// colSum (Int8) is Σₖ q[n, k], int32 [out]: fbgemm's col_offsets for a
	// zero point of 0, which corrects for the activations' zero point.
	colSum *tensor.Tensor
	// bias [out] (float32) is what the kernel adds: Int8 bias/scale (it is
	// scaled back with the product), the others the bias; zeros for a
	// layer without one, since fbgemm requires a bias.
	bias *tensor.Tensor
}

// pack prepares w [out, in] and bias [out] (or nil) for p, which is not
// None. Construction code: panics with *tensor.Error on failure.
func pack(w, bias *tensor.Tensor, p Precision) (q *packed) {
	s := tensor.NewScope()
	defer s.Close()
	q = &packed{prec: p}
	defer func() { // free what was made before a failure
		if r := recover(); r != nil {
			q.close()
			panic(r)
		}
	}()
	if p == Int8 || p == FP16 {
		tensor.QuietFbgemm()
	}
	out := tensor.Shape(w)[0]
	if bias == nil {
		d, err := w.Device()
		tensor.Check(err)
		bias = s.T(ts.Zeros([]int64{out}, gotch.Float, d))
	}
	switch p {
	case FP32:
		q.weight = s.Keep(s.T(s.T(w.T(false)).Contiguous(false))) // [in, out]
		q.bias = s.Keep(s.T(bias.ShallowClone()))
	case FP16:
		q.matrix = s.Keep(s.T(ts.FbgemmPackGemmMatrixFp16(w)))
		q.bias = s.Keep(s.T(bias.ShallowClone()))
	case BF16:
		q.weight = s.Keep(s.T(s.T(w.Totype(gotch.BFloat16, false)).Contiguous(false)))
		q.bias = s.Keep(s.T(bias.ShallowClone()))
	case Int8:
		qmax := s.Float(float64(int8Max()))
		// per-row symmetric scale max|w|/qmax; an all-zero row gets a tiny
		// scale instead of 0 (its q is 0 either way). One float32 copy of
		// the weight at a time, freed once used, and rounding in place: a
		// GPT-2's 21128-row head would otherwise hold four at once.
		abs := s.T(w.Abs(false))
		amax := s.T(abs.Amax([]int64{1}, false, false)) // [out]
		tensor.Free(abs)
		q.scale = s.Keep(s.T(s.T(amax.DivScalar(qmax, false)).ClampMin(s.Float(1e-12), false)))
		scaled := s.T(w.Div(s.T(q.scale.Unsqueeze(1, false)), false))
		tensor.Check(scaled.Round_())
		tensor.Check(scaled.Clamp_(s.Float(-float64(int8Max())), qmax))
		iq := s.T(scaled.Totype(gotch.Int8, false)) // [out, in]
		tensor.Free(scaled)
		q.matrix = s.Keep(s.T(ts.FbgemmPackQuantizedMatrix(iq)))
		q.colSum = s.Keep(s.T(iq.SumDimIntlist([]int64{1}, false, gotch.Int, false)))
		q.bias = s.Keep(s.T(bias.Div(q.scale, false)))
		one := s.T(ts.Zeros([]int64{1, 1}, gotch.Int8, gotch.CPU))
		q.weight = s.Keep(s.T(one.Expand(tensor.Shape(iq), false, false)))
	default:
		panic(&tensor.Error{Op: "pack", Err: fmt.Errorf("precision %q has no packed form", p)})
	}
	return q
}

// forward maps x [..., in] to [..., out] float32.
func (q *packed) forward(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	if x.DType() != gotch.Float {
		// the kernels take float32 activations; under autocast the
		// previous layer may have produced bfloat16
		x = s.T(x.Totype(gotch.Float, false))
	}
	switch q.prec {
	case FP32:
		return s.Keep(s.T(tensor.Linear(x, q.weight, q.bias, tensor.InOut)))
	case FP16:
		return s.Keep(s.T(ts.FbgemmLinearFp16Weight(x, q.matrix, q.bias)))
	case BF16:
		return s.Keep(s.T(tensor.LinearBF16(x, q.weight, q.bias)))
	}
	y := s.T(ts.FbgemmLinearInt8WeightFp32Activation(x, q.weight, q.matrix, q.colSum,
		s.Float(1), s.Int(0), q.bias)) // [..., out] in units of the row scales
	tensor.Check(y.Mul_(q.scale))
	return s.Keep(y)
}

func (q *packed) close() {
	if q != nil {
		tensor.Free(q.weight, q.matrix, q.scale, q.colSum, q.bias)
	}
}
