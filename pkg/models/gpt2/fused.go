package gpt2

import (
	"sync/atomic"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// fusedStep runs the blocks of a decoding step in one call
// (tensor.GPT2Step) and returns the last block's output, or nil when the
// step is not one that call takes: one new position per row after cached
// ones, no training, no hidden states asked for, gelu_new, projections
// without adapters or packed weights (and, checked on the other side,
// float32 CPU tensors that need no gradient, outside autocast). Its values
// are the op-by-op path's, bit for bit; at batch 1 the step's own calls
// and parallel regions between the products were a fifth of its time.
func (m *Model) fusedStep(x, bias *tensor.Tensor, in Input, train bool) *tensor.Tensor {
	past := in.Cache.Len()
	if train || in.AllHidden || past == 0 || !m.tanhGELU || tensor.Shape(x)[1] != 1 {
		return nil
	}
	n := len(m.Blocks)
	w := make([]*tensor.Tensor, 0, tensor.GPT2BlockTensors*n)
	kbuf, vbuf, scales := make([]*tensor.Tensor, n), make([]*tensor.Tensor, n), make([]float64, n)
	for i, b := range m.Blocks {
		a, f := b.Attn, b.MLP
		for _, c := range []*layers.Conv1D{a.CAttn, a.CProj, f.CFc, f.CProj} {
			if !c.Hook.Plain() {
				return nil
			}
		}
		w = append(w, b.Ln1.Weight, b.Ln1.Bias, a.CAttn.Weight, a.CAttn.Bias, a.CProj.Weight, a.CProj.Bias,
			b.Ln2.Weight, b.Ln2.Bias, f.CFc.Weight, f.CFc.Bias, f.CProj.Weight, f.CProj.Bias)
		scales[i] = a.scale
	}
	for i := range m.Blocks {
		kbuf[i], vbuf[i] = in.Cache.Layer(i).Buffers(1)
	}
	y, err := tensor.GPT2Step(x, w, kbuf, vbuf, past, bias, scales, m.Config.NHead, m.Config.LayerNormEpsilon)
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

// fusedSteps counts the steps fusedStep ran, so that tests can tell it
// from the op-by-op path, whose values it shares.
var fusedSteps atomic.Int64
