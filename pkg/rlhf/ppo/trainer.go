package ppo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/train"
)

// Trainer is TRL 0.11.4's Trainer without generation: Step takes
// queries, the policy's responses and their scores and runs one PPO
// update. It owns the optimizers (torch.optim.Adam: pkg/train's AdamW with
// weight decay 0, one per policy store), the KL controller, the running
// score moments and the shuffling RNG: everything a resume needs.
type Trainer struct {
	Config Config
	Policy Policy // trained
	Ref    Policy // frozen reference for the KL penalty
	KL     KLController
	// Shuffle returns the sample order of one PPO epoch (TRL:
	// np.random.permutation(batch_size)); by default a permutation from
	// a PCG stream seeded with Config.Seed. Parity tests inject TRL's.
	Shuffle func(n int) []int
	// Scores holds the running moments of use_score_scaling.
	Scores RunningMoments
	// Autocast, when set, runs each forward pass of Step (and its loss)
	// under reduced-precision autocast; backward and the optimizer step stay
	// outside it. One autocast region must never span an optimizer step:
	// libtorch caches the low-precision copy of each weight until the region
	// ends, so later forwards would read the weights before the update.
	Autocast func(fn func()) error

	// trlClipOnce reproduces TRL 0.11.4's gradient clipping for parity
	// tests only: its self.model_params is a one-shot filter() iterator, so
	// clip_grad_norm_ clips the trainer's first update and no later one.
	trlClipOnce, clipped bool

	opts  []*train.AdamW
	vars  []*nn.Var // every trainable policy variable (gradient clipping)
	pcg   *rand.PCG
	rng   *rand.Rand
	group *dist.Group // data-parallel ranks (parallel.go); nil: one process
}

// NewTrainer validates cfg and makes one Adam optimizer per policy
// store. The reference stays frozen by construction: it only runs under
// no-grad and no optimizer sees it. (nn.Store.SetTrainable is not used: it
// swaps the tensor handles that the model's layers hold.)
func NewTrainer(cfg Config, policy, ref Policy) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if policy == nil || ref == nil {
		return nil, fmt.Errorf("ppo trainer: policy and reference model are both required")
	}
	if (policy.DecoderStart() < 0) != (ref.DecoderStart() < 0) {
		return nil, fmt.Errorf("ppo trainer: policy is %s but the reference is %s", describe(policy), describe(ref))
	}
	t := &Trainer{Config: cfg, Policy: policy, Ref: ref, KL: cfg.KLController(), Scores: NewRunningMoments()}
	for _, rs := range ref.Stores() {
		for _, ps := range policy.Stores() {
			if rs == ps {
				return nil, fmt.Errorf("ppo trainer: the reference model shares a store with the policy; load a separate copy")
			}
		}
	}
	adam := train.AdamWConfig{LR: cfg.LearningRate, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} // torch.optim.Adam
	for _, st := range policy.Stores() {
		o, err := train.NewAdamW(st.Trainable(), adam)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("ppo trainer: %w", err)
		}
		t.opts = append(t.opts, o)
		t.vars = append(t.vars, st.Trainable()...)
	}
	t.pcg = rand.NewPCG(uint64(cfg.Seed), 0x9E3779B97F4A7C15)
	t.rng = rand.New(t.pcg)
	t.Shuffle = t.rng.Perm
	return t, nil
}

// Optimizers are the policy's optimizers, one per store (checkpoints).
func (t *Trainer) Optimizers() []*train.AdamW { return t.opts }

// Close frees the optimizer state (not the models).
func (t *Trainer) Close() {
	for _, o := range t.opts {
		o.Close()
	}
}

// Step runs one PPO optimisation step on batch_size samples, in TRL's
// phases: safety checks → score scaling/clipping → padded model inputs →
// policy and reference forward passes (no grad) → per-token rewards →
// GAE advantages → ppo_epochs × shuffled mini-batches → statistics →
// KL-controller update. queries[i] and responses[i] are token ids (the
// response without the query); scores[i] is the response's reward.
func (t *Trainer) Step(queries, responses [][]int64, scores []float64) (stats Stats, err error) {
	defer tensor.Pin()() // the thread rule (internal/tensor/thread.go)
	defer tensor.Recover(&err)
	if err := t.checkStep(queries, responses, scores); err != nil {
		return Stats{}, err
	}
	timing := map[string]float64{}
	t0 := time.Now()
	scaled, err := t.scaleScores(scores)
	if err != nil {
		return Stats{}, err
	}
	b, err := t.prepareInputs(queries, responses)
	if err != nil {
		return Stats{}, err
	}
	defer b.Close()
	b.scores = scaled
	klCoef := t.KL.Value()

	tic := time.Now()
	if err := t.forwardPasses(b); err != nil {
		return Stats{}, err
	}
	timing["time/ppo/forward_pass"] = since(tic)
	if err := tensor.NoGrad(func() {
		tic = time.Now()
		t.computeRewards(b, klCoef)
		timing["time/ppo/compute_rewards"] = since(tic)
		tic = time.Now()
		t.computeAdvantages(b)
		timing["time/ppo/compute_advantages"] = since(tic)
	}); err != nil {
		return Stats{}, err
	}

	tic = time.Now()
	trainStats, err := t.optimize(b)
	if err != nil {
		return Stats{}, err
	}
	timing["time/ppo/optimize_step"] = since(tic)

	tic = time.Now()
	stats, err = t.recordStats(b, trainStats, klCoef)
	if err != nil {
		return Stats{}, err
	}
	if err := t.averageStats(stats); err != nil {
		return Stats{}, err
	}
	timing["time/ppo/calc_stats"] = since(tic)
	stats.Scalars["ppo/learning_rate"] = t.Config.LearningRate
	t.KL.Update(stats.Scalars["objective/kl"], t.Config.BatchSize*t.world())
	timing["time/ppo/total"] = since(t0)
	for k, v := range timing {
		stats.Scalars[k] = v
	}
	return stats, nil
}

// autocast runs fn under t.Autocast, or as it is when none is set.
func (t *Trainer) autocast(fn func()) error {
	if t.Autocast == nil {
		return tensor.Catch(fn)
	}
	return t.Autocast(fn)
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }

// checkStep is _step_safety_checker: batch_size samples, non-empty
// queries and responses, non-negative ids and finite scores.
func (t *Trainer) checkStep(queries, responses [][]int64, scores []float64) error {
	bs := t.Config.BatchSize
	if len(queries) != bs || len(responses) != bs || len(scores) != bs {
		return fmt.Errorf("ppo step: batch_size is %d but got %d queries, %d responses, %d scores",
			bs, len(queries), len(responses), len(scores))
	}
	for i := range queries {
		if len(queries[i]) == 0 || len(responses[i]) == 0 {
			return fmt.Errorf("ppo step: sample %d: query has %d tokens and response %d; both need ≥ 1",
				i, len(queries[i]), len(responses[i]))
		}
		for _, row := range [][]int64{queries[i], responses[i]} {
			for j, id := range row {
				if id < 0 {
					return fmt.Errorf("ppo step: sample %d: token %d has negative id %d", i, j, id)
				}
			}
		}
		if math.IsNaN(scores[i]) || math.IsInf(scores[i], 0) {
			return fmt.Errorf("ppo step: score %d is %v; scores must be finite", i, scores[i])
		}
	}
	return nil
}

// scaleScores applies use_score_scaling (divide by the running std +
// float32 eps, after centring with use_score_norm) and score_clip, in
// float32 as TRL's tensor does.
func (t *Trainer) scaleScores(scores []float64) ([]float32, error) {
	c := t.Config
	out := make([]float32, len(scores))
	for i, s := range scores {
		out[i] = float32(s)
	}
	if c.UseScoreScaling {
		if err := t.updateScores(out); err != nil {
			return nil, err
		}
		div := float32(t.Scores.Std) + epsFloat32
		for i := range out {
			if c.UseScoreNorm {
				out[i] -= float32(t.Scores.Mean)
			}
			out[i] /= div
		}
	}
	if c.ScoreClip > 0 {
		lim := float32(c.ScoreClip)
		for i := range out {
			out[i] = max(-lim, min(lim, out[i]))
		}
	}
	return out, nil
}

// epsFloat32 is torch.finfo(torch.float32).eps.
const epsFloat32 = 1.1920929e-07
