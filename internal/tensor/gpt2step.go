package tensor

import "github.com/sugarme/gotch/ext"

// GPT2BlockTensors is how many tensors GPT2Step takes for each block, in
// this order: ln_1 weight and bias, attn.c_attn's, attn.c_proj's, ln_2's,
// mlp.c_fc's, mlp.c_proj's, weight then bias.
const GPT2BlockTensors = ext.GPT2Blocks

// StepInput is what GPT2Step starts from: the ids [B, 1] whose embeddings
// the call makes itself, WTE[IDs] + WPE[Positions] (Positions [B|1, 1],
// int64; nil: every row at past), as GPT-2's embedding layers and their
// sum do.
type StepInput struct {
	IDs, Positions, WTE, WPE *Tensor
}

// GPT2Step runs a GPT-2 decoding step, its embeddings and its blocks
// (pre-LN, gelu_new, no dropout), in a single call into the gotch patch:
// in is the step's input, w the blocks' tensors (GPT2BlockTensors a block;
// a projection's weight float32 [in, out] as stored or bfloat16 [out, in]
// as LinearBF16 reads it), kbuf and vbuf each block's key and value
// buffers [B, H, capacity, D] with past positions filled (the step's are
// written at past), bias nil or an additive mask broadcastable to [B, H,
// 1, past+1], scales each block's attention scale. It returns the last
// block's output, or nil and no error when the inputs are not a decoding
// step's (at most 16 float32 CPU rows that need no gradient, outside
// autocast, shapes as GPT-2's): nothing is written then, and the caller
// runs the step op by op. Both paths use the
// same kernels on the same values, so their results are equal bit for bit;
// the single call spares the step's ATen and cgo calls between products,
// and their parallel regions' starts and ends.
func GPT2Step(in StepInput, w, kbuf, vbuf []*Tensor, past int64, bias *Tensor, scales []float64, heads int64, eps float64) (*Tensor, error) {
	defer Pin()() // the error, if any, is the calling thread's
	out, ran := ext.GPT2Step(handle(in.IDs), handle(in.Positions), handle(in.WTE), handle(in.WPE),
		handles(w), handles(kbuf), handles(vbuf), past, handle(bias), scales, heads, eps)
	if ran == 0 {
		return nil, nil
	}
	return adopt("gpt2 decoding step", out)
}
