package ppo

import (
	"fmt"

	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// fwdOut is batched_forward_pass's result; nil tensors were not asked for.
type fwdOut struct {
	logprobs *tensor.Tensor // [B, T-1], 0 before position off
	values   *tensor.Tensor // [B, T-1]
	logits   *tensor.Tensor // [B, T-1-off, V]: positions off..T-2
	off      int64
}

// forwardPass is batched_forward_pass: p over in's rows in chunks of
// chunk rows; logprobs are log_softmax(logits[:, :-1]) at ids[:, 1:] of
// the scored sequence. With from > 0 the LM head may skip positions
// before from (their logprobs are 0; PPO masks them). Every forward runs
// with train=false because TRL's batched_forward_pass puts the model in
// eval mode first, so dropout never acts in TRL 0.11's PPO (the gradient
// pass included). Grad mode is the caller's. Panics with *tensor.Error.
func forwardPass(p Policy, in Input, chunk int, from int64, withValues, withLogits bool) fwdOut {
	s := tensor.NewScope()
	defer s.Close()
	rows := tensor.Shape(in.IDs)[0]
	var lps, vals, logits []*tensor.Tensor
	off := int64(-1)
	for lo := int64(0); lo < rows; lo += int64(chunk) {
		part := in
		if lo > 0 || int64(chunk) < rows {
			part = narrowRows(in, lo, min(int64(chunk), rows-lo))
			defer freeInput(part)
		}
		part.SkipValues, part.LogitsFrom = !withValues, from
		o, err := p.Forward(part, false)
		tensor.Check(err)
		s.Add(o.Logits)
		s.Add(o.Values)
		ids, _ := part.Scored()
		t := tensor.Shape(ids)[1]
		w := tensor.Shape(o.Logits)[1] // logits cover positions t-w..t-1
		if off >= 0 && off != t-w {
			panic(&tensor.Error{Op: "forward pass", Err: fmt.Errorf("chunks returned logits from positions %d and %d", off, t-w)})
		}
		off = t - w
		lg := s.T(o.Logits.Narrow(1, 0, w-1, false))    // [b, T-1-off, V]
		labels := s.T(ids.Narrow(1, off+1, w-1, false)) // [b, T-1-off]
		lp := s.Add(LogprobsFromLogits(lg, labels))
		lps = append(lps, s.Add(padLeft(lp, off)))
		if withValues {
			vals = append(vals, s.T(o.Values.Narrow(1, 0, t-1, false)))
		}
		if withLogits {
			logits = append(logits, lg)
		}
	}
	out := fwdOut{logprobs: s.Keep(catRows(s, lps)), off: off}
	if withValues {
		out.values = s.Keep(catRows(s, vals))
	}
	if withLogits {
		out.logits = s.Keep(catRows(s, logits))
	}
	return out
}

// padLeft prepends n zero columns to x [B, W]: [B, n+W]. n = 0 returns a
// new handle to x.
func padLeft(x *tensor.Tensor, n int64) *tensor.Tensor {
	y, err := x.ConstantPadNd([]int64{n, 0}, false)
	tensor.Check(err)
	return y
}

// catRows concatenates chunks along dim 0 (one chunk is returned as is).
func catRows(s *tensor.Scope, parts []*tensor.Tensor) *tensor.Tensor {
	if len(parts) == 1 {
		return parts[0]
	}
	return s.T(ts.Cat(parts, 0))
}

// forwardPasses runs the policy (logprobs, values) and the reference
// (logprobs) over the whole batch without gradients, keeping the logits
// [B, T-1, V] only for kl_penalty "full".
func (t *Trainer) forwardPasses(b *batch) error {
	full := t.Config.KLPenalty == PenaltyFull
	from := b.from
	if full { // the full KL needs the same positions on both sides
		from = 0
	}
	return tensor.NoGrad(func() { tensor.Check(t.autocast(func() { t.forwardBoth(b, from, full) })) })
}

// forwardBoth is forwardPasses' body: policy, then reference.
func (t *Trainer) forwardBoth(b *batch, from int64, full bool) {
	pol := forwardPass(t.Policy, b.in, t.Config.MiniBatchSize, from, true, full)
	b.logprobs, b.values, b.logits = pol.logprobs, pol.values, pol.logits
	ref := forwardPass(t.Ref, b.in, t.Config.MiniBatchSize, pol.off, false, full)
	b.refLogprobs, b.refLogits = ref.logprobs, ref.logits
	if full && pol.off != ref.off {
		panic(&tensor.Error{Op: "forward pass", Err: fmt.Errorf("policy logits start at position %d, reference at %d", pol.off, ref.off)})
	}
}

// computeRewards is compute_rewards: kls = the kl_penalty estimate per
// token [B, T-1], non_score_reward = −β·kls, and rewards = non_score_reward
// plus each score at its row's last response token. As in TRL, positions
// outside the response keep their KL term here; computeAdvantages masks.
func (t *Trainer) computeRewards(b *batch, klCoef float64) {
	s := tensor.NewScope()
	defer s.Close()
	if t.Config.KLPenalty == PenaltyFull {
		lp := s.Add(LogprobsFromLogits(b.logits, nil))
		ref := s.Add(LogprobsFromLogits(b.refLogits, nil))
		b.kls = KLPenalty(PenaltyFull, lp, ref)
	} else {
		b.kls = KLPenalty(t.Config.KLPenalty, b.logprobs, b.refLogprobs)
	}
	b.nonScore = s.Keep(s.T(b.kls.MulScalar(s.Float(-klCoef), false)))
	dev, err := b.masks.Device()
	tensor.Check(err)
	sc := s.T(tensor.FromFloat32s(b.scores, []int64{int64(len(b.scores)), 1}, dev)) // [B, 1]
	atLast := s.T(b.last.Mul(sc, false))                                            // score at the last token, 0 elsewhere
	b.rewards = s.Keep(s.T(b.nonScore.Add(atLast, false)))
}

// computeAdvantages is compute_advantages: values and rewards masked
// (rewards whitened without centring under whiten_rewards), GAE with
// gamma and lam, returns = advantages + values, and advantages whitened
// over the response tokens unless whiten_advantages is off. It replaces
// b.values with the masked values, which the value loss clips around.
//
// Unlike TRL, whitened rewards are masked again before GAE: TRL leaves
// mean·(1−rsqrt(var)) on padded positions, which flows back into the last
// response tokens of right-padded rows.
func (t *Trainer) computeAdvantages(b *batch) {
	s := tensor.NewScope()
	defer s.Close()
	c := t.Config
	n, err := tensor.Item(s.T(b.masks.Sum(b.masks.DType(), false)))
	tensor.Check(err)
	if t.group == nil && n < 2 { // t.whiten checks the global batch
		panic(&tensor.Error{Op: "compute advantages", Err: fmt.Errorf(
			"the batch holds %g response token(s); whitening needs at least 2", n)})
	}
	rewards := b.rewards
	if c.WhitenRewards {
		rewards = s.Add(t.whiten(s.T(rewards.Mul(b.masks, false)), b.masks, false))
	}
	values, adv, ret := GAE(b.values, rewards, b.masks, c.Gamma, c.Lam)
	tensor.Free(b.values)
	b.values, b.returns = values, ret
	if c.WhitenAdvantages {
		s.Add(adv)
		adv = t.whiten(adv, b.masks, true)
	}
	b.advantages = adv
}
