package rlhf

import (
	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
)

// tokenLoss is the mean cross-entropy of logits [B, T, V] against labels
// [B, T] over positions whose label is not data.IgnoreIndex (padding and
// prompt tokens), with the number of those positions and how many the
// model predicts (label logit = the row's max): token accuracy that
// ignores padding and -100. It panics with *tensor.Error (callers
// recover). The loss is the caller's.
func tokenLoss(logits, labels *tensor.Tensor) (loss *tensor.Tensor, correct, count float64) {
	s := tensor.NewScope()
	defer s.Close()
	v := tensor.Shape(logits)[2]
	flat := s.T(logits.Reshape([]int64{-1, v}, false)) // [N, V]
	target := s.T(labels.Reshape([]int64{-1}, false))  // [N]
	loss, correct, count, err := tensor.CrossEntropy(flat, target, data.IgnoreIndex)
	tensor.Check(err)
	return loss, correct, count
}

// labelled counts the positions tokenLoss averages over: labels other than
// IgnoreIndex, from column from on (1 for a causal LM, whose first label
// nothing predicts; see shiftCausal). The loop weighs batches by it.
func labelled(labels [][]int64, from int) int {
	n := 0
	for _, row := range labels {
		for _, l := range row[min(from, len(row)):] {
			if l != data.IgnoreIndex {
				n++
			}
		}
	}
	return n
}

// pairItems counts an encoder-decoder batch's labelled decoder positions.
func pairItems(p pairBatch) int { return labelled(p.B.Labels, 0) }

// labelledBatch is labelled over a batch's labels.
func labelledBatch(from int) func(data.Batch) int {
	return func(b data.Batch) int { return labelled(b.Labels, from) }
}

// shiftCausal aligns a causal LM's logits with labels [B, T]: position t
// predicts token t+1 (GPT2LMHeadModel's shift_logits/labels). The logits
// are [B, T, V], or [B, T-1, V] from a model that scored positions
// 0..T-2 only (models.Input.LogitsTo), which are already aligned.
func shiftCausal(logits, labels *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
	s := tensor.NewScope()
	defer s.Close()
	t := tensor.Shape(labels)[1]
	lg := logits
	if tensor.Shape(logits)[1] == t {
		lg = s.T(logits.Narrow(1, 0, t-1, false))
	}
	lb := s.T(labels.Narrow(1, 1, t-1, false))
	return s.Keep(s.T(lg.Contiguous(false))), s.Keep(s.T(lb.Contiguous(false)))
}

// pairwiseLoss is the reward model's loss, −log σ(r_chosen − r_rejected −
// margin) averaged over pairs (InstructGPT; TRL RewardTrainer with a
// margin), plus center·mean((r_chosen + r_rejected)²) (TRL's
// center_rewards_coefficient; 0 = off), and the fraction of pairs ranked
// right (r_chosen > r_rejected).
func pairwiseLoss(chosen, rejected *tensor.Tensor, margin, center float64) (loss *tensor.Tensor, accuracy float64) {
	s := tensor.NewScope()
	defer s.Close()
	diff := s.T(chosen.Sub(rejected, false)) // [B]
	shifted := diff
	if margin != 0 {
		shifted = s.T(diff.SubScalar(s.Float(margin), false))
	}
	loss = s.T(s.T(s.T(shifted.LogSigmoid(false)).Mean(gotch.Float, false)).Neg(false))
	if center != 0 {
		sq := s.T(s.T(s.T(chosen.Add(rejected, false)).Square(false)).Mean(gotch.Float, false))
		loss = s.T(loss.Add(s.T(sq.MulScalar(s.Float(center), false)), false))
	}
	var err error
	accuracy, err = tensor.Item(s.T(s.T(s.T(diff.Gt(s.Float(0), false)).Totype(gotch.Float, false)).Mean(gotch.Float, false)))
	tensor.Check(err)
	return s.Keep(loss), accuracy
}

// ids turns rows into an int64 tensor on dev, panicking on failure.
func ids(s *tensor.Scope, rows [][]int64, dev gotch.Device) *tensor.Tensor {
	return s.T(tensor.FromRows(rows, dev))
}

// deviceOf is t's device, panicking on failure.
func deviceOf(t *tensor.Tensor) gotch.Device {
	d, err := t.Device()
	tensor.Check(err)
	return d
}
