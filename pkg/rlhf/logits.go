package rlhf

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/t5"
)

// The functions here adapt each family's forward to the stages' one
// question: logits and labels, aligned position by position. They panic
// with *tensor.Error; the stage recovers.

// causalLogits runs GPT2LMHeadModel and shifts: position t predicts t+1.
func causalLogits(g *gpt2.Model) func(data.Batch, bool) (*tensor.Tensor, *tensor.Tensor) {
	return func(b data.Batch, train bool) (*tensor.Tensor, *tensor.Tensor) {
		s := tensor.NewScope()
		defer s.Close()
		in := gpt2Input(s, g, b)
		out, err := g.Forward(in, train)
		tensor.Check(err)
		s.Add(out.Logits)
		s.Add(out.Hidden)
		return shiftCausal(out.Logits, ids(s, b.Labels, deviceOf(in.IDs)))
	}
}

// gpt2Input puts a batch's ids and mask on g's device.
func gpt2Input(s *tensor.Scope, g *gpt2.Model, b data.Batch) gpt2.Input {
	dev := deviceOf(g.WTE.Weight)
	return gpt2.Input{IDs: ids(s, b.InputIDs, dev), Mask: ids(s, b.AttentionMask, dev)}
}

// maskedLogits runs BertForMaskedLM: labels are the masked positions' ids.
func maskedLogits(m *bert.MaskedLM) func(data.Batch, bool) (*tensor.Tensor, *tensor.Tensor) {
	return func(b data.Batch, train bool) (*tensor.Tensor, *tensor.Tensor) {
		s := tensor.NewScope()
		defer s.Close()
		dev := deviceOf(m.Bert.Embeddings.Word.Weight)
		in := bert.Input{IDs: ids(s, b.InputIDs, dev), TypeIDs: ids(s, b.TypeIDs, dev), Mask: ids(s, b.AttentionMask, dev)}
		out, err := m.Forward(in, train)
		tensor.Check(err)
		lg := out.Logits
		out.Logits = nil
		out.Close()
		return lg, s.Keep(ids(s, b.Labels, dev))
	}
}

// seq2seqLogits runs T5ForConditionalGeneration on encoder inputs p.A and
// targets p.B; the decoder reads the targets shifted right behind
// decoder_start_token_id (T5's _shift_right).
func seq2seqLogits(m *t5.Model) func(pairBatch, bool) (*tensor.Tensor, *tensor.Tensor) {
	return func(p pairBatch, train bool) (*tensor.Tensor, *tensor.Tensor) {
		s := tensor.NewScope()
		defer s.Close()
		dev := deviceOf(m.Shared.Weight)
		start := m.Config.DecoderStart()
		dec := make([][]int64, len(p.B.InputIDs))
		for i, row := range p.B.Labels {
			dec[i] = make([]int64, len(row))
			dec[i][0] = start
			for j := 1; j < len(row); j++ {
				if dec[i][j] = row[j-1]; dec[i][j] == data.IgnoreIndex {
					dec[i][j] = m.Config.PadTokenID
				}
			}
		}
		out, err := m.Forward(ids(s, p.A.InputIDs, dev), ids(s, p.A.AttentionMask, dev), ids(s, dec, dev), nil, nil, train) // causal decoder mask only, as HF with labels
		tensor.Check(err)
		lg := out.Logits
		out.Logits = nil
		out.Close()
		return lg, s.Keep(ids(s, p.B.Labels, dev))
	}
}
