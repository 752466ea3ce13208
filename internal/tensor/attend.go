package tensor

import "github.com/sugarme/gotch/ext"

// Attend is softmax(scale·q·kᵀ + bias)·v with dropout p, libtorch's
// scaled_dot_product_attention: q [B, H, T, D], k and v [B, H, S, D], bias
// nil or broadcastable to [B, H, T, S] (additive, or boolean: true
// attends). Decoding's few queries (at most 16, float32, on the CPU,
// needing no gradient, outside autocast, no dropout, an additive or no
// bias) go through the gotch patch's kernel, which reads each cached key
// and value once: SDPA's CPU path for a masked query scales the whole key
// cache into a new tensor first. Anything else goes through SDPA, an
// additive bias cast to q's type (autocast leaves q in bfloat16). The two
// sum in different orders, so results differ in the last bits. A nil bias
// reaches SDPA as no mask at all (gotch's own binding would hand it an
// undefined tensor, which SDPA rejects).
func Attend(q, k, v, bias *Tensor, scale, p float64) (*Tensor, error) {
	defer Pin()() // the error, if any, is the calling thread's
	return adopt("attention", ext.Attend(q.Ctensor(), k.Ctensor(), v.Ctensor(), handle(bias), scale, p))
}
