package train

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/dist"
)

// Data parallelism (torch DDP under HF Trainer): every rank holds the same
// model, rank 0's parameters are broadcast when training starts, each rank
// back-propagates its shard of the global batch (data.Sampler's Rank and
// World), and before clipping the gradients are summed across ranks by a
// bucketed all-reduce and divided by the step's item count. The loop's
// files (metrics, plots, checkpoints) are written by rank 0 after a
// barrier. A nil group is a single process, and every hook is a no-op.

// ItemCounter is implemented by stages whose loss is a mean over a number
// of items that varies between batches (labelled tokens, pairs). The loop
// then weighs each micro-batch by its count, so a step's gradient is that
// of the mean over every item of every micro-batch on every rank — the
// same as one process with the whole global batch (transformers'
// num_items_in_batch with average_tokens_across_devices). Without it each
// micro-batch weighs one: the mean of the micro-batch means.
type ItemCounter[B any] interface {
	Items(b B) int
}

// ShardedEvaluator is an Evaluator that splits its eval set across ranks:
// each rank evaluates the batches Part gives it and sums its totals across
// ranks with g.ReduceFloat64s before computing the metrics, which are then
// the same on every rank. Evaluators without it evaluate the whole set on
// every rank.
type ShardedEvaluator interface {
	EvalShard(ctx context.Context, g *dist.Group) (map[string]float64, error)
}

// Part reports whether eval batch i is rank g.Rank()'s (round robin).
func Part(g *dist.Group, i int) bool { return i%g.World() == g.Rank() }

// WithGroup makes the loop data-parallel over g (nil: a single process);
// call it before Resume and Run.
func (l *Loop[B]) WithGroup(g *dist.Group) {
	l.group = g
	l.state.WorldSize = g.World()
}

// rankSeed is the seed this rank's per-step seeds derive from: the run's
// seed on rank 0, an unrelated one on every other rank, so ranks draw
// different dropout masks (accelerate's set_seed(device_specific=True)).
func (l *Loop[B]) rankSeed() int64 {
	if r := l.group.Rank(); r > 0 {
		return tensor.StepSeed(l.cfg.Seed, -int64(r))
	}
	return l.cfg.Seed
}

// syncParams copies rank 0's parameters to every rank (DDP's constructor).
func (l *Loop[B]) syncParams() error {
	if err := l.group.Broadcast(l.params(), 0); err != nil {
		return fmt.Errorf("broadcast parameters from rank 0: %w", err)
	}
	return nil
}

func (l *Loop[B]) params() []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(l.vars))
	for i, v := range l.vars {
		out[i] = v.T
	}
	return out
}

// stepTotals are a step's sums on this rank, reduced across ranks in one
// call: the item count, the item-weighted loss and stats, the tokens, and
// whether a rank was asked to stop (SIGINT), so all ranks stop together.
type stepTotals struct {
	items, loss, tokens, stop float64
	stats                     map[string]float64
	commTime                  time.Duration // this rank's time in the step's collectives
}

// reduce sums t across ranks (a no-op for a single process).
func (l *Loop[B]) reduce(t *stepTotals) error {
	if l.group == nil {
		return nil
	}
	keys := slices.Sorted(maps.Keys(t.stats)) // the same stage, so the same keys, on every rank
	v := []float64{t.items, t.loss, t.tokens, t.stop}
	for _, k := range keys {
		v = append(v, t.stats[k])
	}
	if err := l.group.ReduceFloat64s(v, dist.Sum); err != nil {
		return err
	}
	t.items, t.loss, t.tokens, t.stop = v[0], v[1], v[2], v[3]
	for i, k := range keys {
		t.stats[k] = v[4+i]
	}
	return nil
}

// averageGrads sums the gradients across ranks and divides them by the
// step's item count: ∑ranks ∑micro-batches ∇(n·mean loss) / ∑n.
func (l *Loop[B]) averageGrads(items float64) error {
	if l.group == nil && items <= 1 {
		return nil // one process, one item or none: nothing to sum or scale
	}
	var grads []*tensor.Tensor
	defer func() { tensor.Free(grads...) }()
	err := tensor.Catch(func() {
		for _, v := range l.vars {
			g, err := v.T.Grad(false)
			tensor.Check(err)
			if ok, err := g.Defined(); err != nil || !ok {
				tensor.Free(g)
				continue
			}
			grads = append(grads, g)
		}
	})
	if err != nil {
		return err
	}
	if err := l.group.AllReduce(grads, dist.Sum); err != nil {
		return err
	}
	if items <= 1 {
		return nil
	}
	return tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		inv := s.Float(1 / items)
		for _, g := range grads {
			tensor.Check(g.MulScalar_(inv))
		}
	})
}

// mainOnly runs fn on rank 0 only, after a barrier: every rank has
// finished the step whose state fn writes.
func (l *Loop[B]) mainOnly(fn func() error) error {
	if err := l.group.Barrier(); err != nil {
		return err
	}
	if l.group.Main() {
		return fn()
	}
	return nil
}
