package layers

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Masks are built as boolean "may attend" tensors [B|1, 1, T, S], combined
// with AND, and turned into one additive bias at the end, so two masked
// reasons never add up to -inf and a fully masked row (a left-pad query)
// softmaxes to uniform instead of NaN.

// KeyPaddingAllowed maps an attention mask [B, S] (1 = token, 0 = pad) to
// [B, 1, 1, S] booleans.
func KeyPaddingAllowed(mask *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	b := s.T(mask.Ne(s.Int(0), false))
	return s.Keep(s.T(s.T(b.Unsqueeze(1, false)).Unsqueeze(1, false)))
}

// CausalAllowed is [1, 1, T, S]: query i (absolute position S-T+i) may see
// keys 0..S-T+i. T < S when a key/value cache holds S-T earlier positions.
func CausalAllowed(t, sLen int64, dev gotch.Device) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	ones := s.T(ts.Ones([]int64{t, sLen}, gotch.Bool, dev))
	tri := s.T(ones.Tril(sLen-t, false))
	return s.Keep(s.T(tri.View([]int64{1, 1, t, sLen}, false)))
}

// UniLMAllowed is the seq2seq mask of UniLM / bert4keras for segment ids
// [B, S] (0 = source, 1 = target): with c = cumsum(segment), query i may see
// key j iff c[j] ≤ c[i] — sources see all sources, targets see sources and
// earlier targets. Returns [B, 1, S, S].
func UniLMAllowed(typeIDs *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	c := s.T(typeIDs.Cumsum(1, gotch.Int64, false))
	ci := s.T(c.Unsqueeze(2, false))       // [B, S, 1]
	cj := s.T(c.Unsqueeze(1, false))       // [B, 1, S]
	allowed := s.T(cj.LeTensor(ci, false)) // [B, S, S]
	return s.Keep(s.T(allowed.Unsqueeze(1, false)))
}

// And combines "may attend" masks by broadcasting logical AND; nil inputs
// are skipped, and nil is returned when all are nil.
func And(masks ...*tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	var acc *tensor.Tensor
	for _, m := range masks {
		if m == nil {
			continue
		}
		if acc == nil {
			acc = s.T(m.ShallowClone())
			continue
		}
		// bitwise_and, not logical_and: on bool tensors they agree, but
		// libtorch 2.1's logical_and resizes its output with a deprecation
		// warning when the first operand broadcasts.
		acc = s.T(acc.BitwiseAndTensor(m, false))
	}
	if acc == nil {
		return nil
	}
	return s.Keep(acc)
}

// Bias turns a "may attend" mask into an additive float mask of dtype:
// 0 where allowed, the dtype's most negative finite value elsewhere (HF's
// torch.finfo(dtype).min). nil stays nil.
func Bias(allowed *tensor.Tensor, dtype gotch.DType) *tensor.Tensor {
	if allowed == nil {
		return nil
	}
	s := tensor.NewScope()
	defer s.Close()
	z := s.T(ts.Zeros(tensor.Shape(allowed), dtype, deviceOf(allowed)))
	return s.Keep(s.T(z.MaskedFill(s.T(allowed.LogicalNot(false)), s.Float(MinValue(dtype)), false)))
}

// MinValue is torch.finfo(dtype).min for the float dtypes gotrl uses.
func MinValue(dtype gotch.DType) float64 {
	switch dtype {
	case gotch.Half:
		return -65504
	case gotch.BFloat16:
		return -3.3895313892515355e38
	case gotch.Double:
		return -1.7976931348623157e308
	}
	return -3.4028234663852886e38
}

func deviceOf(t *tensor.Tensor) gotch.Device {
	d, err := t.Device()
	tensor.Check(err)
	return d
}
