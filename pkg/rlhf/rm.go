package rlhf

import (
	"context"
	"fmt"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/train"
)

// scorer maps a batch of (prompt, response) encodings to one reward per
// row [B]; it panics with *tensor.Error.
type scorer func(b data.Batch, train bool) *tensor.Tensor

// rmStage trains a scalar reward with the pairwise loss
// −log σ(r_chosen − r_rejected − margin) (InstructGPT, TRL RewardTrainer).
type rmStage struct {
	name   string
	m      models.Classifier
	score  scorer
	margin float64
	center float64 // center_rewards_coefficient
	eval   []pairBatch
	tuning
}

func (st *rmStage) Name() string          { return st.name }
func (st *rmStage) Store() *nn.Store      { return st.m.Store() }
func (st *rmStage) Save(dir string) error { return st.save(st.m, dir) }
func (st *rmStage) Tokens(p pairBatch) int {
	return pairTokens(p)
}

func (st *rmStage) Loss(p pairBatch) (loss *tensor.Tensor, stats map[string]float64, err error) {
	defer tensor.Recover(&err)
	st.training(true)
	defer st.training(false)
	s := tensor.NewScope()
	defer s.Close()
	rc, rr := s.Add(st.score(p.A, true)), s.Add(st.score(p.B, true))
	loss, acc := pairwiseLoss(rc, rr, st.margin, st.center)
	return loss, map[string]float64{"accuracy": acc}, nil
}

// Items is the number of pairs: the loss is their mean.
func (st *rmStage) Items(p pairBatch) int { return len(p.A.Lens) }

// Eval returns the pairwise loss, the fraction of pairs ranked right and
// the mean reward margin r_chosen − r_rejected over the eval pairs.
func (st *rmStage) Eval(ctx context.Context) (map[string]float64, error) {
	return st.EvalShard(ctx, nil)
}

// EvalShard is Eval over this rank's eval batches, totals summed over ranks.
func (st *rmStage) EvalShard(_ context.Context, g *dist.Group) (map[string]float64, error) {
	var loss, acc, gap, n float64
	err := tensor.NoGrad(func() {
		for i, p := range st.eval {
			if !train.Part(g, i) {
				continue
			}
			s := tensor.NewScope()
			rc, rr := s.Add(st.score(p.A, false)), s.Add(st.score(p.B, false))
			l, a := pairwiseLoss(rc, rr, st.margin, st.center)
			s.Add(l)
			lv, err := tensor.Item(l)
			tensor.Check(err)
			d, err := tensor.Item(s.T(s.T(rc.Sub(rr, false)).Mean(gotch.Float, false)))
			tensor.Check(err)
			s.Close()
			k := float64(len(p.A.Lens))
			loss, acc, gap, n = loss+lv*k, acc+a*k, gap+d*k, n+k
		}
	})
	if err != nil {
		return nil, err
	}
	sums := []float64{loss, acc, gap, n}
	if err := g.ReduceFloat64s(sums, dist.Sum); err != nil {
		return nil, err
	}
	loss, acc, gap, n = sums[0], sums[1], sums[2], sums[3]
	if n == 0 {
		return nil, nil
	}
	return map[string]float64{"loss": loss / n, "accuracy": acc / n, "reward_margin": gap / n}, nil
}

// EvalKeys names what Eval reports.
func (st *rmStage) EvalKeys() []string { return []string{"loss", "accuracy", "reward_margin"} }

// RM trains a reward model on preference pairs, or on ranked lists
// expanded to every ordered pair, from an SFT checkpoint or a config.
func RM(ctx context.Context, cfg RMConfig, env train.Env) (train.State, error) {
	if err := cfg.Validate(); err != nil {
		return train.State{}, err
	}
	ckpt, err := start(env, cfg.Train, "rm", &cfg.Model, cfg.PEFT, cfg)
	if err != nil {
		return train.State{}, err
	}
	tok, err := openTokenizer(env, cfg.Data.Tokenizer)
	if err != nil {
		return train.State{}, err
	}
	tr, ev, err := readPairs(cfg, env)
	if err != nil {
		return train.State{}, err
	}
	pad, err := data.PadID(tok.Special())
	if err != nil {
		return train.State{}, err
	}
	// From an SFT checkpoint the reward head is new (partial); a resumed
	// run's checkpoint has it.
	opened, err := openModel(cfg.Model, tok, env, models.Options{Task: models.TaskReward, Partial: cfg.Model.Init != "" && (ckpt == "" || cfg.PEFT.UsePEFT)}, &cfg.Data.MaxLen)
	if err != nil {
		return train.State{}, err
	}
	defer opened.Close()
	m, ok := opened.(models.Classifier)
	if !ok {
		return train.State{}, fmt.Errorf("rm: %T is not a sequence classifier", opened)
	}
	enc := &data.Encoder{Tok: tok, MaxLen: cfg.Data.MaxLen}
	c := data.Collator{PadID: pad}
	trA, trB, err := encodePairs(enc, tr)
	if err != nil {
		return train.State{}, err
	}
	evA, evB, err := encodePairs(enc, ev)
	if err != nil {
		return train.State{}, err
	}
	ad, err := applyPEFT(cfg.PEFT, m, cfg.Model, peftCheckpoint(cfg.PEFT, ckpt), env, headModules...)
	if err != nil {
		return train.State{}, err
	}
	st := &rmStage{name: "rm", m: m, score: scoreOf(m), margin: cfg.Margin, center: cfg.CenterRewards, tuning: tuning{adapter: ad}}
	if st.eval, err = pairBatches(evA, evB, cfg.Train.BatchSize, c); err != nil {
		return train.State{}, err
	}
	ld, err := newPairLoader(trA, trB, shuffled(env, cfg.Train), c)
	if err != nil {
		return train.State{}, err
	}
	env.Logf("rm: %d training pairs (%d batches/epoch), %d eval pairs\n", len(tr), ld.Batches(), len(ev))
	return train.RunStage(ctx, env, cfg.Train, ckpt, train.Stage[pairBatch](st), ld)
}

// readPairs reads the training and eval pairs in cfg.Schema. Ranked lists
// are split by list (group) before expansion, so no prompt is on both sides.
func readPairs(cfg RMConfig, env train.Env) (tr, ev []data.Pair, err error) {
	if cfg.Schema == Preference {
		return readSplit(env, cfg.Data, cfg.Train.Seed, data.ReadPreference)
	}
	read := data.ReadRanked
	if cfg.Schema == CMRC {
		read = func(p string, opt data.Options) ([]data.Ranked, data.Stats, error) {
			return data.CMRCRanked(p, opt, data.RankOptions{Seed: uint64(cfg.Train.Seed)})
		}
	}
	rtr, rev, err := readSplit(env, cfg.Data, cfg.Train.Seed, read)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rtr {
		tr = append(tr, r.Pairs()...)
	}
	for _, r := range rev {
		ev = append(ev, r.Pairs()...)
	}
	return tr, ev, nil
}

// encodePairs encodes (prompt, chosen) and (prompt, rejected).
func encodePairs(enc *data.Encoder, ps []data.Pair) (a, b []data.Encoded, err error) {
	for i, p := range ps {
		x, err := enc.Pair(p.Prompt, p.Chosen)
		if err != nil {
			return nil, nil, fmt.Errorf("pair %d chosen: %w", i, err)
		}
		y, err := enc.Pair(p.Prompt, p.Rejected)
		if err != nil {
			return nil, nil, fmt.Errorf("pair %d rejected: %w", i, err)
		}
		a, b = append(a, x), append(b, y)
	}
	return a, b, nil
}

// scoreOf reads a reward model's one score per row [B] (it panics with
// *tensor.Error).
func scoreOf(m models.Classifier) scorer {
	return func(b data.Batch, train bool) *tensor.Tensor {
		s := tensor.NewScope()
		defer s.Close()
		logits := s.T(m.Classify(input(s, m, b), train)) // [B, 1]
		return s.Keep(s.T(logits.Select(1, 0, false)))   // [B]
	}
}
