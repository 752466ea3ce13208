package gpt2

import (
	"sync/atomic"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// fusedStep runs a decoding step's embeddings and blocks in one call
// (tensor.GPT2Step) and returns the last block's output, or nil when the
// step is not one that call takes: one new position per row after cached
// ones, no training, no hidden states or token type ids, gelu_new,
// projections without adapters, their weights as stored or packed in
// bfloat16 (and, checked on the other side, float32 CPU tensors that need
// no gradient, outside autocast). Its values are the op-by-op path's, bit
// for bit; at batch 1 the step's own calls and parallel regions between
// the products were a fifth of its time.
func (m *Model) fusedStep(in Input, bias *tensor.Tensor, train bool) *tensor.Tensor {
	past := in.Cache.Len()
	if train || in.AllHidden || past == 0 || !m.tanhGELU || in.TypeIDs != nil || tensor.Shape(in.IDs)[1] != 1 {
		return nil
	}
	w, kbuf, vbuf, scales, ok := m.stepArgs(in.Cache)
	if !ok {
		return nil
	}
	step := tensor.StepInput{IDs: in.IDs, Positions: in.Positions, WTE: m.WTE.Weight, WPE: m.WPE.Weight}
	y, err := tensor.GPT2Step(step, w, kbuf, vbuf, past, bias, scales, m.Config.NHead, m.Config.LayerNormEpsilon)
	tensor.Checkf(err, "decoding step")
	if y == nil {
		return nil
	}
	for i := range m.Blocks {
		in.Cache.Layer(i).Advance(1)
	}
	fusedSteps.Add(1)
	return y
}

// stepArgs gathers what tensor.GPT2Step reads of the blocks: their tensors
// (GPT2BlockTensors a block), each layer's key and value buffers with room
// for the step, and the attention scales; ok is false, and the cache left
// as it was, when a projection has an adapter or weights packed in another
// precision than bfloat16.
func (m *Model) stepArgs(c *Cache) (w, kbuf, vbuf []*tensor.Tensor, scales []float64, ok bool) {
	n := len(m.Blocks)
	w = make([]*tensor.Tensor, 0, tensor.GPT2BlockTensors*n)
	kbuf, vbuf, scales = make([]*tensor.Tensor, n), make([]*tensor.Tensor, n), make([]float64, n)
	for i, b := range m.Blocks {
		a, f := b.Attn, b.MLP
		proj := make([]*tensor.Tensor, 0, 8)
		for _, p := range []*layers.Conv1D{a.CAttn, a.CProj, f.CFc, f.CProj} {
			pw, pb, ok := p.Hook.StepWeights(p.Weight, p.Bias)
			if !ok {
				return nil, nil, nil, nil, false
			}
			proj = append(proj, pw, pb)
		}
		w = append(w, b.Ln1.Weight, b.Ln1.Bias, proj[0], proj[1], proj[2], proj[3],
			b.Ln2.Weight, b.Ln2.Bias, proj[4], proj[5], proj[6], proj[7])
		scales[i] = a.scale
	}
	for i := range m.Blocks {
		kbuf[i], vbuf[i] = c.Layer(i).Buffers(1)
	}
	return w, kbuf, vbuf, scales, true
}

// fusedSteps counts the steps fusedStep ran, so that tests can tell it
// from the op-by-op path, whose values it shares.
var fusedSteps atomic.Int64
