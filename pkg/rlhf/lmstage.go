package rlhf

import (
	"context"
	"math"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/train"
)

// lmStage trains any token-prediction objective (causal LM, masked LM, span
// corruption, SFT): the family supplies logits and labels aligned position
// by position, the stage the loss, token accuracy and evaluation.
type lmStage[B any] struct {
	name   string // "<stage> <family>"
	m      models.Model
	logits func(b B, train bool) (logits, labels *tensor.Tensor) // panics with *tensor.Error
	tokens func(b B) int
	items  func(b B) int // labelled positions: what tokenLoss averages over
	eval   []B
	// samples, when set, generates a few completions at each evaluation.
	samples func(ctx context.Context) error
	tuning
}

func (st *lmStage[B]) Name() string          { return st.name }
func (st *lmStage[B]) Store() *nn.Store      { return st.m.Store() }
func (st *lmStage[B]) Save(dir string) error { return st.save(st.m, dir) }
func (st *lmStage[B]) Tokens(b B) int        { return st.tokens(b) }
func (st *lmStage[B]) Items(b B) int         { return st.items(b) }

// Loss is the mean cross-entropy over labelled tokens, with token accuracy.
func (st *lmStage[B]) Loss(b B) (loss *tensor.Tensor, stats map[string]float64, err error) {
	defer tensor.Recover(&err)
	st.training(true)
	defer st.training(false)
	s := tensor.NewScope()
	defer s.Close()
	lg, lb := st.logits(b, true)
	s.Add(lg)
	s.Add(lb)
	loss, correct, count := tokenLoss(lg, lb)
	return loss, map[string]float64{"accuracy": correct / max(count, 1)}, nil
}

// Eval returns the token-weighted loss, perplexity and token accuracy over
// the eval batches (padding and -100 excluded), then prints samples.
func (st *lmStage[B]) Eval(ctx context.Context) (map[string]float64, error) {
	return st.EvalShard(ctx, nil)
}

// EvalShard is Eval over this rank's eval batches, totals summed over
// ranks; samples are generated only where they are set (rank 0).
func (st *lmStage[B]) EvalShard(ctx context.Context, g *dist.Group) (map[string]float64, error) {
	var sum, correct, count float64
	err := tensor.NoGrad(func() {
		for i, b := range st.eval {
			if !train.Part(g, i) {
				continue
			}
			s := tensor.NewScope()
			lg, lb := st.logits(b, false)
			s.Add(lg)
			s.Add(lb)
			loss, c, n := tokenLoss(lg, lb)
			s.Add(loss)
			v, err := tensor.Item(loss)
			s.Close()
			tensor.Check(err)
			if n > 0 { // a batch without labels has a NaN mean and adds nothing
				sum += v * n
			}
			correct += c
			count += n
		}
	})
	if err != nil {
		return nil, err
	}
	sums := []float64{sum, correct, count}
	if err := g.ReduceFloat64s(sums, dist.Sum); err != nil {
		return nil, err
	}
	sum, correct, count = sums[0], sums[1], sums[2]
	if count == 0 {
		return nil, nil
	}
	if st.samples != nil {
		if err := st.samples(ctx); err != nil {
			return nil, err
		}
	}
	loss := sum / count
	return map[string]float64{"loss": loss, "perplexity": math.Exp(loss), "accuracy": correct / count}, nil
}

// EvalKeys names what Eval reports.
func (st *lmStage[B]) EvalKeys() []string { return []string{"loss", "perplexity", "accuracy"} }
