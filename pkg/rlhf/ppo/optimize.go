package ppo

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/train"
)

// optimize runs ppo_epochs passes over the batch, each in a fresh
// shuffled order cut into consecutive mini-batches, and returns every
// mini-batch's statistics. An optimizer step follows every
// gradient_accumulation_steps mini-batches. With early_stopping, the
// epochs stop once the last mini-batch's policy KL exceeds 1.5·target_kl
// (pending gradients are dropped, as TRL's _early_stop does).
func (t *Trainer) optimize(b *batch) ([]map[string][]float64, error) {
	c := t.Config
	var all []map[string][]float64
	n := 0
	for epoch := 0; epoch < c.PPOEpochs; epoch++ {
		perm := t.Shuffle(c.BatchSize)
		if err := checkPerm(perm, c.BatchSize); err != nil {
			return nil, fmt.Errorf("ppo epoch %d: %w", epoch, err)
		}
		var st map[string][]float64
		for lo := 0; lo < c.BatchSize; lo += c.MiniBatchSize {
			n++
			var err error
			st, err = t.trainMinibatch(b, perm[lo:lo+c.MiniBatchSize], n%c.GradientAccumulationSteps == 0)
			if err != nil {
				return nil, fmt.Errorf("ppo epoch %d, mini-batch %d: %w", epoch, lo/c.MiniBatchSize, err)
			}
			all = append(all, st)
		}
		if !c.EarlyStopping {
			continue
		}
		kl, err := t.globalKL(st["policy/policykl"][0])
		if err != nil {
			return nil, err
		}
		if kl > 1.5*c.TargetKL {
			if err := train.ZeroGrad(t.vars); err != nil {
				return nil, err
			}
			break
		}
	}
	return all, nil
}

// checkPerm rejects a Shuffle result that is not a permutation of 0..n-1.
func checkPerm(perm []int, n int) error {
	seen := make([]bool, n)
	if len(perm) != n {
		return fmt.Errorf("shuffle returned %d indices for %d samples", len(perm), n)
	}
	for _, i := range perm {
		if i < 0 || i >= n || seen[i] {
			return fmt.Errorf("shuffle returned %v, not a permutation of 0..%d", perm, n-1)
		}
		seen[i] = true
	}
	return nil
}

// trainMinibatch is train_minibatch on rows idx of the batch: a forward
// pass with gradients, loss, backward (scaled by 1/accumulation steps, as
// accelerate does), and when sync, gradient clipping (max_grad_norm over
// every trainable variable), the optimizer steps and zero_grad.
func (t *Trainer) trainMinibatch(b *batch, rows []int, sync bool) (stats map[string][]float64, err error) {
	defer tensor.Recover(&err)
	s := tensor.NewScope()
	defer s.Close()
	c := t.Config
	ix := make([]int64, len(rows))
	for i, r := range rows {
		ix[i] = int64(r)
	}
	dev, err := b.masks.Device()
	tensor.Check(err)
	idx := s.T(tensor.FromInt64s(ix, []int64{int64(len(ix))}, dev))
	sel := func(x *tensor.Tensor) *tensor.Tensor { return s.T(x.IndexSelect(0, idx, false)) }
	in := selectRows(b.in, idx)
	defer freeInput(in)

	var total *tensor.Tensor
	tensor.Check(t.autocast(func() {
		fwd := forwardPass(t.Policy, in, len(rows), b.from, true, true)
		s.Add(fwd.logprobs)
		s.Add(fwd.values)
		s.Add(fwd.logits)
		mb := lossInput{
			oldLogprobs: sel(b.logprobs), oldValues: sel(b.values), mask: sel(b.masks),
			advantages: sel(b.advantages), returns: sel(b.returns),
			logprobs: fwd.logprobs, vpreds: fwd.values, logits: fwd.logits, logitsOff: fwd.off,
		}
		total, stats = t.loss(mb)
		s.Add(total)
	}))
	if ga := c.GradientAccumulationSteps; ga > 1 {
		total = s.T(total.DivScalar(s.Float(float64(ga)), false))
	}
	tensor.Check(total.Backward())
	if !sync {
		return stats, nil
	}
	t.averageGrads()
	scale := 1.0 // clip_grad_norm_'s coefficient, applied inside the update
	if c.MaxGradNorm > 0 && !(t.trlClipOnce && t.clipped) {
		norm, err := train.GradNorm(t.vars)
		if err != nil {
			return nil, err
		}
		scale, t.clipped = tensor.ClipCoef(norm, c.MaxGradNorm), true
	}
	for _, o := range t.opts {
		if err := o.StepScaled(c.LearningRate, scale); err != nil {
			return nil, err
		}
		if err := o.ZeroGrad(); err != nil {
			return nil, err
		}
	}
	return stats, nil
}

// lossInput is one mini-batch for loss: old* and advantages/returns from
// the rollout pass, the rest from this pass (with gradients). All [b,
// T-1] except logits [b, T-1, V].
type lossInput struct {
	oldLogprobs, oldValues, mask, advantages, returns *tensor.Tensor
	logprobs, vpreds, logits                          *tensor.Tensor
	logitsOff                                         int64 // logits cover positions logitsOff..T-2
}

// entropy is entropy_from_logits over the positions with logits, zero
// before them: [b, T-1].
func (in lossInput) entropy() *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	return padLeft(s.Add(EntropyFromLogits(in.logits)), in.logitsOff)
}

// loss is Trainer.loss: the clipped value loss
// ½·masked_mean(max((V−R)², (clip(V, V_old±ε_v)−R)²)), the clipped
// surrogate masked_mean(max(−A·r, −A·clip(r, 1±ε))) with r = exp(logp −
// logp_old), total = pg + vf_coef·vf (− entropy_coef·entropy when set),
// all zeroed when masked_mean(r) > ratio_threshold. Returns the total
// (with gradients) and TRL's per-mini-batch statistics.
func (t *Trainer) loss(in lossInput) (total *tensor.Tensor, stats map[string][]float64) {
	s := tensor.NewScope()
	defer s.Close()
	c := t.Config
	lo := s.T(in.oldValues.SubScalar(s.Float(c.CliprangeValue), false))
	hi := s.T(in.oldValues.AddScalar(s.Float(c.CliprangeValue), false))
	vclip := s.Add(ClipByValue(in.vpreds, lo, hi))
	vf1 := s.T(s.T(in.vpreds.Sub(in.returns, false)).Square(false))
	vf2 := s.T(s.T(vclip.Sub(in.returns, false)).Square(false))
	vfLoss := s.T(s.Add(MaskedMean(s.T(vf1.Maximum(vf2, false)), in.mask)).MulScalar(s.Float(0.5), false))

	ratio := s.T(s.T(in.logprobs.Sub(in.oldLogprobs, false)).Exp(false))
	negAdv := s.T(in.advantages.Neg(false))
	pg1 := s.T(negAdv.Mul(ratio, false))
	pg2 := s.T(negAdv.Mul(s.T(ratio.Clamp(s.Float(1-c.Cliprange), s.Float(1+c.Cliprange), false)), false))
	pgLoss := s.Add(MaskedMean(s.T(pg1.Maximum(pg2, false)), in.mask))
	total = s.T(pgLoss.Add(s.T(vfLoss.MulScalar(s.Float(c.VFCoef), false)), false))
	if c.EntropyCoef != 0 {
		ent := s.Add(MaskedMean(s.Add(in.entropy()), in.mask))
		total = s.T(total.Sub(s.T(ent.MulScalar(s.Float(c.EntropyCoef), false)), false))
	}

	var avgRatio float64
	tensor.Check(tensor.NoGrad(func() {
		var err error
		avgRatio, err = tensor.Item(s.Add(MaskedMean(ratio, in.mask)))
		tensor.Check(err)
	}))
	if avgRatio > c.RatioThreshold { // TRL warns "Skipping batch." and zeroes the losses
		zero := s.Float(0)
		pgLoss, vfLoss, total = s.T(pgLoss.MulScalar(zero, false)), s.T(vfLoss.MulScalar(zero, false)), s.T(total.MulScalar(zero, false))
	}
	tensor.Check(tensor.NoGrad(func() {
		stats = t.lossStats(in, ratio, pg1, pg2, vf1, vf2, pgLoss, vfLoss, total)
	}))
	return s.Keep(total), stats
}

// lossStats computes loss()'s statistics (flat keys as flatten_dict
// makes them: "loss/policy", "policy/clipfrac", "val/error", …). Scalars
// are read back with one copy; advantages and ratio stay per token.
func (t *Trainer) lossStats(in lossInput, ratio, pg1, pg2, vf1, vf2, pgLoss, vfLoss, total *tensor.Tensor) map[string][]float64 {
	s := tensor.NewScope()
	defer s.Close()
	m := in.mask
	mean := func(x *tensor.Tensor) *tensor.Tensor { return s.Add(MaskedMean(x, m)) }
	frac := func(a, b *tensor.Tensor) *tensor.Tensor {
		return mean(s.T(s.T(a.GtTensor(b, false)).Totype(gotch.Float, false)))
	}
	diff := s.T(in.logprobs.Sub(in.oldLogprobs, false))
	keys := []string{"loss/policy", "loss/value", "loss/total", "policy/entropy", "policy/approxkl", "policy/policykl",
		"policy/clipfrac", "policy/advantages_mean", "returns/mean", "returns/var",
		"val/vpred", "val/error", "val/clipfrac", "val/mean", "val/var"}
	vals := []*tensor.Tensor{
		pgLoss, vfLoss, total,
		mean(s.Add(in.entropy())),
		s.T(mean(s.T(diff.Square(false))).MulScalar(s.Float(0.5), false)),
		mean(s.T(diff.Neg(false))),
		frac(pg2, pg1),
		mean(in.advantages),
		mean(in.returns), s.Add(MaskedVar(in.returns, m, true)),
		mean(in.vpreds), mean(vf1), frac(vf2, vf1),
		mean(in.oldValues), s.Add(MaskedVar(in.oldValues, m, true)),
	}
	flat := make([]*tensor.Tensor, len(vals))
	for i, v := range vals {
		flat[i] = s.T(v.Reshape([]int64{1}, false))
	}
	got, err := tensor.Float64s(s.T(ts.Cat(flat, 0)))
	tensor.Check(err)
	stats := make(map[string][]float64, len(keys)+2)
	for i, k := range keys {
		stats[k] = []float64{got[i]}
	}
	stats["policy/advantages"], err = tensor.Float64s(in.advantages)
	tensor.Check(err)
	stats["policy/ratio"], err = tensor.Float64s(ratio)
	tensor.Check(err)
	return stats
}
