package ppo

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/dist"
)

// Data parallelism, as TRL's PPOTrainer runs under Accelerate: every rank
// holds the same policy (rank 0's parameters are broadcast at start), rolls
// out batch_size prompts of its own and runs Step on them; batch_size,
// mini_batch_size and gradient_accumulation_steps are per rank. Across
// ranks, gradients are averaged before clipping (DDP), the early-stopping
// KL, the step's scalar statistics and the score moments are global, and
// the KL controller is updated with batch_size·world samples. Advantages
// (and whitened rewards) are whitened with the mean and variance of the
// whole global batch, so that two ranks with batch b take the step one
// process takes with batch 2b; TRL 0.11.4 whitens each process's batch
// apart. A nil group is a single process and every hook is a no-op.

// WithGroup makes the trainer data-parallel over g (nil: one process) and
// copies rank 0's policy parameters to every rank.
func (t *Trainer) WithGroup(g *dist.Group) error {
	t.group = g
	if g == nil {
		return nil
	}
	params := make([]*tensor.Tensor, len(t.vars))
	for i, v := range t.vars {
		params[i] = v.T
	}
	if err := g.Broadcast(params, 0); err != nil {
		return fmt.Errorf("ppo: broadcast the policy from rank 0: %w", err)
	}
	return nil
}

// world is the number of ranks (1 without a group).
func (t *Trainer) world() int { return t.group.World() }

// sum adds v across ranks in place.
func (t *Trainer) sum(v []float64) error {
	if t.group == nil {
		return nil
	}
	return t.group.ReduceFloat64s(v, dist.Sum)
}

// averageGrads averages the policy's gradients across ranks (DDP's
// all-reduce; accumulation steps sync only on the step that updates).
func (t *Trainer) averageGrads() {
	if t.group == nil {
		return
	}
	var grads []*tensor.Tensor
	defer func() { tensor.Free(grads...) }()
	for _, v := range t.vars {
		g, err := v.T.Grad(false)
		tensor.Check(err)
		if ok, err := g.Defined(); err != nil || !ok {
			tensor.Free(g)
			continue
		}
		grads = append(grads, g)
	}
	tensor.Check(t.group.AllReduce(grads, dist.Sum))
	tensor.Check(tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		inv := s.Float(1 / float64(t.world()))
		for _, g := range grads {
			tensor.Check(g.MulScalar_(inv))
		}
	}))
}

// whiten is MaskedWhiten over the global batch: the masked mean and the
// unbiased masked variance of x on every rank.
func (t *Trainer) whiten(x, mask *tensor.Tensor, shiftMean bool) *tensor.Tensor {
	if t.group == nil {
		return MaskedWhiten(x, mask, shiftMean)
	}
	s := tensor.NewScope()
	defer s.Close()
	item := func(x *tensor.Tensor) float64 {
		v, err := tensor.Item(s.T(x.Sum(gotch.Double, false)))
		tensor.Check(err)
		return v
	}
	tot := []float64{item(s.T(x.Mul(mask, false))), item(mask)}
	tensor.Check(t.sum(tot))
	n := tot[1]
	if n < 2 {
		panic(&tensor.Error{Op: "whiten", Err: fmt.Errorf("the global batch holds %g response token(s); whitening needs at least 2", n)})
	}
	mean := tot[0] / n
	centered := s.T(x.SubScalar(s.Float(mean), false))
	ss := []float64{item(s.T(s.T(centered.Square(false)).Mul(mask, false)))}
	tensor.Check(t.sum(ss))
	variance := ss[0] / (n - 1)
	w := s.T(centered.MulScalar(s.Float(1/math.Sqrt(variance+whitenEps)), false))
	if !shiftMean {
		w = s.T(w.AddScalar(s.Float(mean), false))
	}
	return s.Keep(w)
}

// updateScores folds a batch of scores into the running moments: over
// the global batch under data parallelism (TRL's get_global_statistics).
func (t *Trainer) updateScores(xs []float32) error {
	if t.group == nil {
		t.Scores.Update(xs)
		return nil
	}
	tot := []float64{0, float64(len(xs))}
	for _, x := range xs {
		tot[0] += float64(x)
	}
	if err := t.sum(tot); err != nil {
		return err
	}
	mean := tot[0] / tot[1]
	ss := []float64{0}
	for _, x := range xs {
		ss[0] += (float64(x) - mean) * (float64(x) - mean)
	}
	if err := t.sum(ss); err != nil {
		return err
	}
	t.Scores.fold(mean, ss[0]/tot[1], tot[1])
	return nil
}

// globalKL is the early-stopping policy KL averaged over ranks (TRL's
// _early_stop), so every rank stops at the same mini-batch.
func (t *Trainer) globalKL(kl float64) (float64, error) {
	v := []float64{kl}
	if err := t.sum(v); err != nil {
		return 0, err
	}
	return v[0] / float64(t.world()), nil
}

// averageStats averages the step's scalar statistics over ranks (TRL's
// gather_stats); per-token arrays stay this rank's.
func (t *Trainer) averageStats(st Stats) error {
	if t.group == nil {
		return nil
	}
	keys := slices.Sorted(maps.Keys(st.Scalars)) // the same step, so the same keys, on every rank
	v := make([]float64, len(keys))
	for i, k := range keys {
		v[i] = st.Scalars[k]
	}
	if err := t.sum(v); err != nil {
		return err
	}
	for i, k := range keys {
		st.Scalars[k] = v[i] / float64(t.world())
	}
	return nil
}
