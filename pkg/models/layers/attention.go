package layers

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Attend computes softmax(q·kᵀ·scale + bias)·v with libtorch's
// scaled_dot_product_attention. q [B, H, T, D]; k, v [B, H, S, D]; bias is
// an additive float mask broadcastable to [B, H, T, S] (0 = attend,
// a large negative = masked; T5's position bias is added into it) or nil.
// dropoutP applies only when train is set. Returns [B, H, T, D].
func Attend(q, k, v, bias *tensor.Tensor, scale, dropoutP float64, train bool) *tensor.Tensor {
	if !train {
		dropoutP = 0
	}
	if bias == nil {
		// gotch hands libtorch an undefined tensor, not nullopt, for a
		// missing attn_mask, which SDPA rejects: allow everything instead.
		d, err := q.Device()
		tensor.Check(err)
		all, err := ts.Ones([]int64{1, 1, 1, 1}, gotch.Bool, d)
		tensor.Check(err)
		defer tensor.Free(all)
		bias = all
	}
	if bk, qk := bias.DType(), q.DType(); bk != gotch.Bool && bk != qk {
		// Under autocast q, k, v leave the linears in bf16/fp16 while the
		// additive mask was built in fp32; SDPA wants them equal.
		cast, err := bias.Totype(qk, false)
		tensor.Check(err)
		defer tensor.Free(cast)
		bias = cast
	}
	out, err := ts.ScaledDotProductAttention(q, k, v, bias, dropoutP, false, []float64{scale})
	tensor.Checkf(err, "attention")
	return out
}

// SplitHeads maps [B, T, H·D] to [B, H, T, D].
func SplitHeads(x *tensor.Tensor, heads int64) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	sh := tensor.Shape(x) // [B, T, C]
	v := s.T(x.View([]int64{sh[0], sh[1], heads, sh[2] / heads}, false))
	return s.Keep(s.T(v.Transpose(1, 2, false)))
}

// MergeHeads maps [B, H, T, D] to [B, T, H·D].
func MergeHeads(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	sh := tensor.Shape(x) // [B, H, T, D]
	t := s.T(s.T(x.Transpose(1, 2, false)).Contiguous(false))
	return s.Keep(s.T(t.View([]int64{sh[0], sh[2], sh[1] * sh[3]}, false)))
}

// KV is one attention layer's key/value cache, [B, H, S, D] each; the zero
// value is an empty cache.
type KV struct {
	K, V *tensor.Tensor
}

// Append concatenates new keys and values along the sequence and returns
// the full ones (owned by the cache; the caller must not free them). The
// inputs stay owned by the caller.
func (c *KV) Append(k, v *tensor.Tensor) (K, V *tensor.Tensor) {
	if c.K == nil {
		var err error
		c.K, err = k.ShallowClone()
		tensor.Check(err)
		c.V, err = v.ShallowClone()
		tensor.Check(err)
		return c.K, c.V
	}
	nk, err := ts.Cat([]*tensor.Tensor{c.K, k}, 2)
	tensor.Check(err)
	nv, err := ts.Cat([]*tensor.Tensor{c.V, v}, 2)
	if err != nil {
		tensor.Free(nk)
		tensor.Check(err)
	}
	tensor.Free(c.K, c.V)
	c.K, c.V = nk, nv
	return c.K, c.V
}

// Len is the cached sequence length.
func (c *KV) Len() int64 {
	if c.K == nil {
		return 0
	}
	return tensor.Shape(c.K)[2]
}

// Reorder keeps batch rows idx (beam search), in place.
func (c *KV) Reorder(idx *tensor.Tensor) {
	if c.K == nil {
		return
	}
	k, err := c.K.IndexSelect(0, idx, false)
	tensor.Check(err)
	v, err := c.V.IndexSelect(0, idx, false)
	if err != nil {
		tensor.Free(k)
		tensor.Check(err)
	}
	tensor.Free(c.K, c.V)
	c.K, c.V = k, v
}

// Close frees the cache.
func (c *KV) Close() {
	tensor.Free(c.K, c.V)
	c.K, c.V = nil, nil
}
