package layers

import (
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Attend computes softmax(q·kᵀ·scale + bias)·v (tensor.Attend: libtorch's
// scaled_dot_product_attention, or for decoding's few queries a kernel
// that reads the cache once). q [B, H, T, D]; k, v [B, H, S, D]; bias is
// an additive float mask broadcastable to [B, H, T, S] (0 = attend, a
// large negative = masked; T5's position bias is added into it) or nil.
// dropoutP applies only when train is set. Returns [B, H, T, D].
//
// Training with dropout on the CPU runs q·kᵀ, then tensor.SoftmaxDropout
// (scale, mask, softmax and dropout in one pass each way), then ·v: SDPA
// has no fused CPU kernel with dropout and takes its composite path, a
// pass over the [B, H, T, S] scores for each of those steps.
func Attend(q, k, v, bias *tensor.Tensor, scale, dropoutP float64, train bool) *tensor.Tensor {
	if !train {
		dropoutP = 0
	}
	if dropoutP > 0 && tensor.SoftmaxDropoutApplies(q, bias) {
		return attendDropout(q, k, v, bias, scale, dropoutP)
	}
	out, err := tensor.Attend(q, k, v, bias, scale, dropoutP)
	tensor.Checkf(err, "attention")
	return out
}

// attendDropout is Attend's training path on the CPU (see Attend).
func attendDropout(q, k, v, bias *tensor.Tensor, scale, dropoutP float64) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	scores := s.T(q.Matmul(s.T(k.Transpose(-2, -1, false)), false))
	p := s.T(tensor.SoftmaxDropout(scores, bias, scale, dropoutP))
	out, err := p.Matmul(v, false)
	tensor.Checkf(err, "attention")
	return out
}

// SplitHeads maps [B, T, H·D] to [B, H, T, D] (views, no copy).
func SplitHeads(x *tensor.Tensor, heads int64) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	v := s.T(x.Unflatten(2, []int64{heads, -1}, false)) // [B, T, H, D]
	return s.Keep(s.T(v.Transpose(1, 2, false)))
}

// MergeHeads maps [B, H, T, D] to [B, T, H·D].
func MergeHeads(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	t := s.T(s.T(x.Transpose(1, 2, false)).Contiguous(false)) // [B, T, H, D]
	return s.Keep(s.T(t.Flatten(2, 3, false)))
}

// KV is one attention layer's key/value cache, [B, H, S, D] each; the zero
// value is an empty cache.
//
// The first Append keeps its tensors as they are (a prompt, or the encoder
// output of cross-attention, which is never appended to again). Later
// Appends write into buffers with room for more positions, grown by
// doubling, so a decoding step copies only its own keys and values instead
// of the whole cache (HF's DynamicCache concatenates: O(S) per step, as this
// did; HF's StaticCache preallocates the same way).
type KV struct {
	// k and v are the cached keys and values: the first Append's, or views
	// of the buffers' first span positions, rebuilt by Tensors when the
	// cache has grown since (a fused decoding step writes the buffers and
	// never reads views: making two per layer each step took 0.09 ms of a
	// GPT-2 step at batch 1).
	k, v       *tensor.Tensor
	span       int64
	kbuf, vbuf *tensor.Tensor // [B, H, capacity, D] or nil
	n, room    int64          // cached positions; buffer capacity (0 without buffers)
	want       int64          // capacity Reserve asked for (0: none)
}

// Reserve makes the next growth of the buffers hold at least total
// positions, so a cache whose final length is known (generation's
// max_new_tokens) is copied into its buffers once, as HF's StaticCache is
// allocated once, rather than regrown by doubling: each regrowth is a
// fresh block the kernel must fault in and zero, and a copy of the cache.
func (c *KV) Reserve(total int64) { c.want = total }

// Append adds keys and values [B, H, T, D] after the cached ones and
// returns the full ones (owned by the cache; the caller must not free
// them). The inputs stay owned by the caller. The copy records no gradient:
// a cache serves generation.
func (c *KV) Append(k, v *tensor.Tensor) (K, V *tensor.Tensor) {
	if c.k == nil && c.kbuf == nil {
		var err error
		c.k, err = k.ShallowClone()
		tensor.Check(err)
		c.v, err = v.ShallowClone()
		tensor.Check(err)
		c.n = tensor.Shape(k)[2]
		c.span = c.n
		return c.k, c.v
	}
	t := tensor.Shape(k)[2]
	kb, vb := c.Buffers(t)
	s := tensor.NewScope()
	defer s.Close()
	tensor.Check(tensor.CopyInto(s.T(kb.Narrow(2, c.n, t, false)), k))
	tensor.Check(tensor.CopyInto(s.T(vb.Narrow(2, c.n, t, false)), v))
	c.Advance(t)
	return c.Tensors()
}

// Tensors returns the cached keys and values [B, H, Len(), D] (owned by
// the cache), nil for an empty cache.
func (c *KV) Tensors() (k, v *tensor.Tensor) {
	if c.kbuf != nil && (c.k == nil || c.span != c.n) {
		c.k = view(c.kbuf, c.k, c.n)
		c.v = view(c.vbuf, c.v, c.n)
		c.span = c.n
	}
	return c.k, c.v
}

// Buffers makes room for t positions after the cached ones and returns the
// buffers [B, H, capacity, D] they go into, at Len() (owned by the cache).
// A writer other than Append (a fused decoding step) fills them, then calls
// Advance. The cache must hold something already.
func (c *KV) Buffers(t int64) (k, v *tensor.Tensor) {
	if need := c.n + t; need > c.room {
		capacity := max(2*need, 64)
		if c.want >= need {
			capacity = c.want
		}
		c.grow(capacity)
	}
	return c.kbuf, c.vbuf
}

// Advance counts t positions written into the buffers at Len().
func (c *KV) Advance(t int64) { c.n += t }

// grow moves the cache into buffers of capacity positions.
func (c *KV) grow(capacity int64) {
	s := tensor.NewScope()
	defer s.Close()
	k, v := c.Tensors()
	sh := tensor.Shape(k) // [B, H, S, D]
	d, err := k.Device()
	tensor.Check(err)
	kb := s.T(ts.Empty([]int64{sh[0], sh[1], capacity, sh[3]}, k.DType(), d))
	vb := s.T(ts.Empty([]int64{sh[0], sh[1], capacity, sh[3]}, v.DType(), d))
	tensor.Check(tensor.CopyInto(s.T(kb.Narrow(2, 0, sh[2], false)), k))
	tensor.Check(tensor.CopyInto(s.T(vb.Narrow(2, 0, sh[2], false)), v))
	// the old views would keep the old buffers alive until rebuilt
	tensor.Free(c.k, c.v, c.kbuf, c.vbuf)
	c.k, c.v = nil, nil
	c.kbuf, c.vbuf, c.room = s.Keep(kb), s.Keep(vb), capacity
}

// view frees the old view and returns buf's first n positions.
func view(buf, old *tensor.Tensor, n int64) *tensor.Tensor {
	v, err := buf.Narrow(2, 0, n, false)
	tensor.Check(err)
	tensor.Free(old)
	return v
}

// Len is the cached sequence length.
func (c *KV) Len() int64 { return c.n }

// Reorder keeps batch rows idx (beam search), in place.
func (c *KV) Reorder(idx *tensor.Tensor) {
	if c.kbuf == nil {
		if c.k != nil {
			c.k, c.v = reorder(c.k, c.v, idx)
		}
		return
	}
	// reorder the buffers, room included (at most twice the cache), so
	// the next Append need not regrow; the views are rebuilt when asked for
	c.kbuf, c.vbuf = reorder(c.kbuf, c.vbuf, idx)
	tensor.Free(c.k, c.v)
	c.k, c.v = nil, nil
}

// reorder returns rows idx of a and b and frees them.
func reorder(a, b, idx *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
	s := tensor.NewScope()
	defer s.Close()
	ra := s.T(a.IndexSelect(0, idx, false))
	rb := s.T(b.IndexSelect(0, idx, false))
	tensor.Free(a, b)
	return s.Keep(ra), s.Keep(rb)
}

// Close frees the cache.
func (c *KV) Close() {
	tensor.Free(c.k, c.v, c.kbuf, c.vbuf)
	*c = KV{}
}
