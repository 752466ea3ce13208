package tensor

import "github.com/sugarme/gotch/ext"

// GPT2BlockTensors is how many tensors GPT2Step takes for each block, in
// this order: ln_1 weight and bias, attn.c_attn's, attn.c_proj's, ln_2's,
// mlp.c_fc's, mlp.c_proj's, weight then bias.
const GPT2BlockTensors = ext.GPT2Blocks

// GPT2Step runs GPT-2's blocks (pre-LN, gelu_new, no dropout) over one
// decoding step in a single call into the gotch patch: x [B, 1, C] is the
// step's embeddings, w the blocks' tensors (GPT2BlockTensors a block), kbuf
// and vbuf each block's key and value buffers [B, H, capacity, D] with past
// positions filled (the step's are written at past), bias nil or an
// additive mask broadcastable to [B, H, 1, past+1], scales each block's
// attention scale. It returns the last block's output, or nil and no error
// when the inputs are not a decoding step's (at most 16 float32 CPU rows
// that need no gradient, outside autocast, shapes as GPT-2's): nothing is
// written then, and the caller runs the blocks op by op. Both paths use the
// same kernels on the same values, so their results are equal bit for bit;
// the single call spares the step's ATen and cgo calls between products,
// and their parallel regions' starts and ends.
func GPT2Step(x *Tensor, w, kbuf, vbuf []*Tensor, past int64, bias *Tensor, scales []float64, heads int64, eps float64) (*Tensor, error) {
	defer Pin()() // the error, if any, is the calling thread's
	out, ran := ext.GPT2Step(x.Ctensor(), handles(w), handles(kbuf), handles(vbuf), past, handle(bias), scales, heads, eps)
	if ran == 0 {
		return nil, nil
	}
	return adopt("gpt2 decoding step", out)
}
