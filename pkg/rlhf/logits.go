package rlhf

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models"
)

// The functions here give the stages' one question — logits and labels,
// aligned position by position — for each kind of language model, through
// models.LM (no family is named). They panic with *tensor.Error; the stage
// recovers.

// input puts a batch's ids, mask and type ids on the model's device.
func input(s *tensor.Scope, m models.Model, b data.Batch) models.Input {
	dev := m.Store().Device()
	return models.Input{IDs: ids(s, b.InputIDs, dev), Mask: ids(s, b.AttentionMask, dev), TypeIDs: ids(s, b.TypeIDs, dev)}
}

// forward runs lm and returns its logits (the caller's), freeing the rest.
func forward(lm models.LM, in models.Input, train bool) *tensor.Tensor {
	out, err := lm.Forward(in, train)
	tensor.Check(err)
	tensor.Free(out.Hidden)
	return out.Logits
}

// causalLogits shifts: position t predicts t+1 (GPT2LMHeadModel's
// shift_logits/labels).
func causalLogits(lm models.LM) func(data.Batch, bool) (*tensor.Tensor, *tensor.Tensor) {
	return func(b data.Batch, train bool) (*tensor.Tensor, *tensor.Tensor) {
		s := tensor.NewScope()
		defer s.Close()
		in := input(s, lm, b)
		if t := tensor.Shape(in.IDs)[1]; t > 1 {
			in.LogitsTo = t - 1 // the last position has no label
		}
		logits := s.Add(forward(lm, in, train))
		return shiftCausal(logits, ids(s, b.Labels, lm.Store().Device()))
	}
}

// maskedLogits: labels are the masked positions' ids (BertForMaskedLM).
func maskedLogits(lm models.LM) func(data.Batch, bool) (*tensor.Tensor, *tensor.Tensor) {
	return func(b data.Batch, train bool) (*tensor.Tensor, *tensor.Tensor) {
		s := tensor.NewScope()
		defer s.Close()
		logits := forward(lm, input(s, lm, b), train)
		return logits, s.Keep(ids(s, b.Labels, lm.Store().Device()))
	}
}

// seq2seqLogits runs an encoder-decoder on encoder inputs p.A and targets
// p.B; the decoder reads the targets shifted right behind
// decoder_start_token_id (T5's _shift_right), with only the causal mask,
// as HF does when given labels.
func seq2seqLogits(lm models.LM) func(pairBatch, bool) (*tensor.Tensor, *tensor.Tensor) {
	return func(p pairBatch, train bool) (*tensor.Tensor, *tensor.Tensor) {
		s := tensor.NewScope()
		defer s.Close()
		dev := lm.Store().Device()
		tk := lm.Tokens()
		dec := make([][]int64, len(p.B.InputIDs))
		for i, row := range p.B.Labels {
			dec[i] = make([]int64, len(row))
			dec[i][0] = tk.DecoderStart
			for j := 1; j < len(row); j++ {
				if dec[i][j] = row[j-1]; dec[i][j] == data.IgnoreIndex {
					dec[i][j] = tk.Pad
				}
			}
		}
		in := models.Input{IDs: ids(s, p.A.InputIDs, dev), Mask: ids(s, p.A.AttentionMask, dev), DecoderIDs: ids(s, dec, dev)}
		return forward(lm, in, train), s.Keep(ids(s, p.B.Labels, dev))
	}
}
