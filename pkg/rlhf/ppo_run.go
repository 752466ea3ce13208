package rlhf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/train"
)

// PPORunConfig is a whole `gotrl ppo` run: the PPO step, the rollout, and
// the run's length, logging and checkpoints.
type PPORunConfig struct {
	PPO     PPOConfig     `yaml:"ppo"`
	Rollout RolloutConfig `yaml:"rollout"`
	// Steps is the number of PPO iterations (rollout + Step).
	Steps     int    `yaml:"steps"`
	OutputDir string `yaml:"output_dir"`
	// SaveSteps writes checkpoint-N every N iterations (0: only at the end).
	SaveSteps int `yaml:"save_steps"`
	// SampleSteps prints a prompt / response / reward table every N
	// iterations (0: never).
	SampleSteps int `yaml:"sample_steps"`
}

// DefaultPPORunConfig is TRL's PPOConfig defaults with the book's
// sampling and a small run.
func DefaultPPORunConfig() PPORunConfig {
	return PPORunConfig{PPO: DefaultPPOConfig(), Rollout: DefaultRolloutConfig(), Steps: 100, OutputDir: "runs/ppo", SampleSteps: 10}
}

// Validate checks the parts and the run settings.
func (c PPORunConfig) Validate() error {
	if err := c.PPO.Validate(); err != nil {
		return err
	}
	if err := c.Rollout.Validate(); err != nil {
		return err
	}
	if c.Steps < 1 || c.SaveSteps < 0 || c.SampleSteps < 0 || c.OutputDir == "" {
		return fmt.Errorf("ppo run: steps %d must be ≥ 1, save_steps %d and sample_steps %d ≥ 0, output_dir set",
			c.Steps, c.SaveSteps, c.SampleSteps)
	}
	return nil
}

// PPOState is a PPO checkpoint's trainer_state.json: with the policy
// weights and the optimizer moments, everything an exact resume needs.
type PPOState struct {
	Stage string `json:"stage"` // always "ppo"
	Step  int    `json:"global_step"`
	Seed  int64  `json:"seed"`
	// Epoch and Position locate the next prompt (epoch-th shuffled pass).
	Epoch          int            `json:"epoch"`
	Position       int            `json:"position"`
	KLCoef         float64        `json:"kl_coef"`
	ScoreMoments   RunningMoments `json:"score_moments"`
	Shuffle        []byte         `json:"shuffle_rng"` // the trainer's PCG state
	OptimizerSteps []int64        `json:"optimizer_steps"`
}

// Saver is a policy that writes itself in Hugging Face layout.
type Saver interface {
	Save(dir string) error
}

// PPORun drives rollout → reward → Step for Config.Steps iterations,
// writing metrics.jsonl, sample tables, checkpoints and plots.
type PPORun struct {
	Config  PPORunConfig
	Trainer *PPOTrainer
	Prompts [][]int64 // token ids, consumed in shuffled passes
	Reward  Rewarder
	// Decode renders ids in sample tables (nil prints the ids).
	Decode func(ids []int64) string
	Out    io.Writer // progress bar and sample tables; nil = silent
	state  PPOState
}

// Run trains until Steps iterations or ctx's cancellation, then saves a
// final checkpoint and plots the curves.
func (r *PPORun) Run(ctx context.Context) (PPOState, error) {
	c := r.Config
	if err := c.Validate(); err != nil {
		return r.state, err
	}
	if len(r.Prompts) < c.PPO.BatchSize {
		return r.state, fmt.Errorf("ppo run: %d prompts, batch_size %d needs at least that many", len(r.Prompts), c.PPO.BatchSize)
	}
	r.state.Stage, r.state.Seed = "ppo", c.PPO.Seed
	metrics, err := train.OpenMetrics(c.OutputDir)
	if err != nil {
		return r.state, fmt.Errorf("ppo run: %w", err)
	}
	defer metrics.Close()
	bar := r.progress()
	defer bar.Exit()
	for r.state.Step < c.Steps {
		if err := ctx.Err(); err != nil {
			break
		}
		rec, err := r.iteration(ctx)
		if err != nil {
			return r.state, fmt.Errorf("ppo step %d: %w", r.state.Step+1, err)
		}
		if err := metrics.Write(rec); err != nil {
			return r.state, err
		}
		bar.Step(fmt.Sprintf("reward %.3f kl %.3f", rec["env/reward_mean"], rec["objective/kl"]))
		if c.SaveSteps > 0 && r.state.Step%c.SaveSteps == 0 && r.state.Step < c.Steps {
			if _, err := r.Save(); err != nil {
				return r.state, err
			}
		}
	}
	if _, err := r.Save(); err != nil {
		return r.state, err
	}
	// The final policy also goes to the run's root in HF layout, as the
	// other stages leave theirs, so `--model RUN_DIR` works downstream.
	if saver, ok := r.Trainer.Policy.(Saver); ok {
		if err := saver.Save(c.OutputDir); err != nil {
			return r.state, fmt.Errorf("ppo run: save final policy: %w", err)
		}
	}
	if _, err := train.PlotFiles(c.OutputDir); err != nil {
		return r.state, err
	}
	return r.state, nil
}

func (r *PPORun) progress() *train.Progress {
	return train.NewProgress(r.Out, r.Config.Steps, r.state.Step)
}

// iteration is one PPO iteration: next prompts, rollout, rewards, Step.
// It returns the metrics record (every scalar stat, the raw reward mean
// and the rollout time).
func (r *PPORun) iteration(ctx context.Context) (train.Record, error) {
	queries := r.nextPrompts()
	tic := time.Now()
	responses, err := r.Trainer.Rollout(ctx, queries, r.Config.Rollout, tensor.StepSeed(r.state.Seed, int64(r.state.Step)))
	if err != nil {
		return nil, err
	}
	rollout := time.Since(tic).Seconds()
	scores, err := r.Reward.Rewards(ctx, queries, responses)
	if err != nil {
		return nil, fmt.Errorf("reward: %w", err)
	}
	stats, err := r.Trainer.Step(queries, responses, scores)
	if err != nil {
		return nil, err
	}
	r.state.Step++
	rec := train.Record{"step": float64(r.state.Step), "time/rollout": rollout}
	for k, v := range stats.Scalars {
		rec[k] = v
	}
	rec["env/reward_mean"], rec["env/reward_std"] = meanStd(scores)
	if n := r.Config.SampleSteps; n > 0 && r.Out != nil && r.state.Step%n == 0 {
		r.sampleTable(queries, responses, scores)
	}
	return rec, nil
}

// nextPrompts returns batch_size prompts of the current shuffled pass,
// starting a new pass (and shuffle) when too few are left.
func (r *PPORun) nextPrompts() [][]int64 {
	bs := r.Config.PPO.BatchSize
	if r.state.Position+bs > len(r.Prompts) {
		r.state.Epoch++
		r.state.Position = 0
	}
	order := rand.New(rand.NewPCG(uint64(r.state.Seed), uint64(r.state.Epoch))).Perm(len(r.Prompts))
	out := make([][]int64, bs)
	for i := range out {
		out[i] = r.Prompts[order[r.state.Position+i]]
	}
	r.state.Position += bs
	return out
}

// sampleTable prints up to 4 samples of the batch.
func (r *PPORun) sampleTable(queries, responses [][]int64, scores []float64) {
	text := func(ids []int64) string {
		if r.Decode != nil {
			return strings.ReplaceAll(r.Decode(ids), "\n", " ")
		}
		return fmt.Sprint(ids)
	}
	fmt.Fprintf(r.Out, "\nstep %d samples\n%-8s | %-32s | %s\n", r.state.Step, "reward", "query", "response")
	for i := 0; i < min(4, len(queries)); i++ {
		fmt.Fprintf(r.Out, "%8.3f | %-32s | %s\n", scores[i], text(queries[i]), text(responses[i]))
	}
}

// PPOModels names the checkpoints of a run.
type PPOModels struct {
	Policy string // initial policy (GPT-2 or T5; v_head.* optional)
	Ref    string // frozen reference; "" = Policy
	// Reward is a GPT2ForSequenceClassification checkpoint (a `gotrl rm`
	// GPT-2 run or any classifier) whose logit RewardLabel is the reward.
	Reward      string
	RewardLabel int
	// Resume, when set, is a run directory: the policy, optimizer and run
	// state come from its latest checkpoint.
	Resume string
}

// OpenPPORun loads the models and returns a run ready for Run; close
// frees everything it loaded.
func OpenPPORun(c PPORunConfig, m PPOModels, prompts [][]int64, dev gotch.Device) (run *PPORun, close func(), err error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	if err := sameVocab(m.Policy, m.Ref, m.Reward); err != nil {
		return nil, nil, err
	}
	start := m.Policy
	if m.Resume != "" {
		if start, err = train.LatestCheckpoint(m.Resume); err != nil {
			return nil, nil, err
		}
	}
	policy, err := LoadPolicy(start, dev)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, func() { ClosePolicy(policy) })
	if m.Ref == "" {
		m.Ref = m.Policy
	}
	ref, err := LoadPolicy(m.Ref, dev)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, func() { ClosePolicy(ref) })
	reward, closeReward, err := LoadClassifierReward(m.Reward, m.RewardLabel, dev)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, closeReward)
	tr, err := NewPPOTrainer(c.PPO, policy, ref)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, tr.Close)
	run = &PPORun{Config: c, Trainer: tr, Prompts: prompts, Reward: reward}
	if m.Resume != "" {
		if err := run.Resume(start); err != nil {
			return nil, nil, err
		}
	}
	return run, closeAll, nil
}

// sameVocab refuses models whose config.json vocab_size differ: a reward
// model (or reference) must read the policy's token ids as the same
// tokens, and a mismatch would otherwise score silently wrong text.
func sameVocab(policy string, others ...string) error {
	size := func(dir string) (int, error) {
		b, err := os.ReadFile(filepath.Join(dir, weights.ConfigFile))
		if err != nil {
			return 0, err
		}
		var c struct {
			VocabSize int `json:"vocab_size"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return 0, fmt.Errorf("%s: %w", filepath.Join(dir, weights.ConfigFile), err)
		}
		return c.VocabSize, nil
	}
	want, err := size(policy)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	for _, dir := range others {
		if dir == "" {
			continue
		}
		got, err := size(dir)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%s has vocab_size %d but the policy %s has %d: the reward and reference models must share the policy's tokenizer", dir, got, policy, want)
		}
	}
	return nil
}
