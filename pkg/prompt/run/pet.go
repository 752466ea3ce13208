package run

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/prompt"
	"github.com/gotrl/gotrl/pkg/train"
)

// PETConfig configures PET few-shot training (Schick & Schütze 2021): the
// loop's settings plus which parameters learn.
type PETConfig struct {
	Train train.Config `yaml:",inline"`
	// Trainable is a regular expression over parameter names: only
	// matching parameters are updated. The book trains the MLM head only
	// (`^cls\.predictions\.`, read as `^lm_head\.` for RoBERTa, whose
	// head that is); `^prompt_encoder\.` trains soft tokens
	// alone (P-tuning with a frozen model); "" or ".*" trains everything.
	Trainable string `yaml:"trainable" help:"regexp of parameters to train ('^cls\\.predictions\\.' = MLM head, '' = all, '^prompt_encoder\\.' = soft tokens)"`
}

// DefaultPET is the book's setting: the MLM head only, a few epochs,
// AdamW at 1e-4 (PET's default), batch 8, no warmup, checkpoints only at
// the end.
func DefaultPET() PETConfig {
	c := train.DefaultConfig()
	c.Epochs, c.BatchSize = 5, 8
	c.Optimizer.LR = 1e-4
	c.Schedule = train.Schedule{Kind: train.Constant}
	c.KeepLast, c.Metric = 1, ""
	return PETConfig{Train: c, Trainable: mlmHead}
}

// mlmHead is the default trainable pattern: BERT's MLM head.
const mlmHead = `^cls\.predictions\.`

// trainable is pattern for r's model: the default, BERT's MLM head, names
// the head of the MLM r runs (RoBERTa's lm_head).
func (r *Runner) trainable(pattern string) string {
	if m, ok := r.f.(*mlm); ok && pattern == mlmHead {
		return "^" + regexp.QuoteMeta(m.m.Bert.Config.MLMHead()+".")
	}
	return pattern
}

// PET trains r on labeled examples with prompt p: cross-entropy between the
// gold label and the softmax of the verbalizer's label scores (PET's
// L_CE; the auxiliary MLM loss on unlabeled text is left out), through
// pkg/train's loop (AdamW, schedule, clipping, per-step seeding,
// checkpoints and metrics in cfg.Train.OutputDir; the trained model is
// saved there in HF layout). Batches follow a seeded shuffle per epoch, so
// a run is reproducible from cfg.Train.Seed, and continues checkpoint ckpt
// exactly when ckpt is set (r holds its weights: train.Start gives it).
// Under data parallelism (env.Dist) BatchSize is per rank.
func PET(ctx context.Context, r *Runner, p *prompt.Prompt, exs []prompt.Example, cfg PETConfig, env train.Env, ckpt string) (train.State, error) {
	if err := r.Check(p.Template); err != nil {
		return train.State{}, err
	}
	if len(exs) == 0 {
		return train.State{}, fmt.Errorf("pet: no training examples")
	}
	st := &petStage{r: r, p: p}
	for i, ex := range exs {
		rd, err := p.Render(ex.Fields)
		if err != nil {
			return train.State{}, fmt.Errorf("pet: example %d: %w", i, err)
		}
		if err := r.checkAll([]*prompt.Rendered{rd}, 0, p.Words()); err != nil {
			return train.State{}, fmt.Errorf("pet: example %d: %w", i, err)
		}
		label := p.Verbalizer.Index(ex.Label)
		if label < 0 {
			return train.State{}, fmt.Errorf("pet: example %d: label %q is not one of the verbalizer's %v", i, ex.Label, p.Verbalizer.Labels)
		}
		st.rendered, st.labels = append(st.rendered, rd), append(st.labels, int64(label))
	}
	if err := setTrainable(r.store, r.trainable(cfg.Trainable)); err != nil {
		return train.State{}, err
	}
	sh := newShuffled(len(exs), cfg.Train.BatchSize*env.Dist.World(), uint64(cfg.Train.Seed))
	sh.rank, sh.world = env.Dist.Rank(), env.Dist.World()
	return train.RunStage[[]int](ctx, env, cfg.Train, ckpt, st, sh)
}

// setTrainable makes exactly the parameters matching pattern trainable.
func setTrainable(store *nn.Store, pattern string) error {
	if pattern == "" {
		pattern = ".*"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fmt.Errorf("pet: trainable pattern %q: %w", pattern, err)
	}
	if err := store.SetTrainable(re.MatchString); err != nil {
		return err
	}
	if len(store.Trainable()) == 0 {
		return fmt.Errorf("pet: no parameter matches the trainable pattern %q", pattern)
	}
	return nil
}

// petStage is PET as a pkg/train stage; a batch is a list of example indices.
type petStage struct {
	r        *Runner
	p        *prompt.Prompt
	rendered []*prompt.Rendered
	labels   []int64
}

// Name is the command that trains it (gotrl prompt train), so another
// command's --resume of a PET run names the one to use.
func (s *petStage) Name() string        { return "prompt train" }
func (s *petStage) Store() *nn.Store    { return s.r.store }
func (s *petStage) Save(d string) error { return s.r.Save(d) }

// Items is the batch's example count: the loss is their mean.
func (s *petStage) Items(b []int) int { return len(b) }

func (s *petStage) Tokens(b []int) int {
	n := 0
	for _, i := range b {
		n += len(s.rendered[i].IDs)
	}
	return n
}

// Loss is the mean cross-entropy over labels of the batch, with its
// accuracy as a statistic.
func (s *petStage) Loss(b []int) (loss *tensor.Tensor, stats map[string]float64, err error) {
	defer tensor.Recover(&err)
	sc := tensor.NewScope()
	defer sc.Close()
	rs, gold := make([]*prompt.Rendered, len(b)), make([]int64, len(b))
	for k, i := range b {
		rs[k], gold[k] = s.rendered[i], s.labels[i]
	}
	words := s.p.Words()
	tok := sc.Add(s.r.f.tokenLogProbs(rs, 0, words, true))    // [B, K]
	scores := sc.Add(labelScores(tok, s.p.Verbalizer, words)) // [B, L]
	target := sc.T(tensor.FromInt64s(gold, []int64{int64(len(gold))}, deviceOf(scores)))
	loss = sc.T(scores.CrossEntropyLoss(target, ts.None, 1, -100, 0, false)) // mean
	pred := sc.T(scores.Argmax([]int64{1}, false, false))
	hit := sc.T(sc.T(pred.EqTensor(target, false)).Totype(gotch.Float, false))
	acc, err := tensor.Item(sc.T(hit.Mean(gotch.Float, false)))
	tensor.Check(err)
	return sc.Keep(loss), map[string]float64{"accuracy": acc}, nil
}

// shuffled hands out batches of example indices, reshuffled every epoch
// from (seed, epoch), so any cursor can be replayed (resume). Under data
// parallelism size is the global batch and each rank takes its shard.
type shuffled struct {
	n, size     int
	seed        uint64
	rank, world int
}

func newShuffled(n, size int, seed uint64) *shuffled {
	return &shuffled{n: n, size: max(size, 1), seed: seed}
}

func (d *shuffled) Batches() int { return (d.n + d.size - 1) / d.size }

func (d *shuffled) Next(c data.Cursor) ([]int, data.Cursor, error) {
	if c.Index >= d.Batches() {
		c = data.Cursor{Epoch: c.Epoch + 1}
	}
	order := rand.New(rand.NewPCG(d.seed, uint64(c.Epoch))).Perm(d.n)
	lo := c.Index * d.size
	return data.Shard(order[lo:min(lo+d.size, d.n)], d.rank, d.world), data.Cursor{Epoch: c.Epoch, Index: c.Index + 1}, nil
}
