package ppo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/rlhf/reward"
	"github.com/gotrl/gotrl/pkg/train"
)

// RunConfig is a whole `gotrl ppo` run: the policy, the prompts, the
// rewards, the PPO step and the rollout. Its YAML keys (and flags) are
// TRL's names where TRL has one; the run saves it as config.yaml, and
// --resume reads it back.
type RunConfig struct {
	Model     string          `yaml:"model_name_or_path" hub:"model" alias:"model"`
	RefModel  string          `yaml:"ref_model" hub:"model" help:"frozen reference model (default: --model-name-or-path)"`
	Tokenizer string          `yaml:"tokenizer_name" hub:"tokenizer" alias:"tokenizer"`
	Prompts   Prompts         `yaml:",inline"`
	Reward    RewardConfig    `yaml:",inline"`
	PPO       Config          `yaml:",inline"`
	Rollout   RolloutConfig   `yaml:",inline"`
	PEFT      rlhf.PEFTConfig `yaml:",inline"`
	// MaxSteps is the number of PPO iterations (rollout + Step).
	MaxSteps  int    `yaml:"max_steps" alias:"steps"`
	OutputDir string `yaml:"output_dir" alias:"output" short:"o"`
	// SaveSteps writes checkpoint-N every N iterations (0: only at the end).
	SaveSteps      int `yaml:"save_steps"`
	SaveTotalLimit int `yaml:"save_total_limit"`
	// SampleSteps prints a prompt / response / reward table every N
	// iterations (0: never).
	SampleSteps int            `yaml:"sample_steps" help:"print a prompt/response/reward table every N iterations; 0 = never"`
	BF16        train.BF16Mode `yaml:"bf16" bare:"true"`
	// ReportTo adds metric sinks to metrics.jsonl (always written).
	ReportTo []string `yaml:"report_to"`
}

// Prompts says where the queries come from.
type Prompts struct {
	Path data.Files `yaml:"train_file" alias:"data,prompts"`
	// Dataset is resolved into Path by the command (its train split;
	// PPO evaluates on nothing, so the test split is not read).
	Dataset data.HubDataset `yaml:",inline"`
	Fields  []string        `yaml:"fields" alias:"field"`
	// MaxLength keeps a prompt's last tokens (left truncation, as chat UIs
	// cut a history) so query + response fit the policy's positions.
	MaxLength int `yaml:"max_prompt_length"`
}

// RewardConfig names the reward models; several are summed with weights.
// The lists run in parallel; a single label, tokenizer or weight applies
// to every model.
type RewardConfig struct {
	Models     []string      `yaml:"reward_model" hub:"model" help:"reward model (a gotrl rm run) or classifier of any family; repeatable, rewards are summed"`
	Weights    []float64     `yaml:"reward_weight" help:"weight of each --reward-model (default 1)"`
	Tokenizers []string      `yaml:"reward_tokenizer" hub:"tokenizer" help:"each reward model's own tokenizer (default: its directory)"`
	Labels     []int         `yaml:"reward_label"`
	Input      reward.Input  `yaml:"reward_input"`
	Output     reward.Output `yaml:"reward_output"`
}

// part returns model i's settings, broadcasting single values.
func (r RewardConfig) part(i int) (tok string, label int, weight float64) {
	pick := func(n int) int {
		if n == 1 {
			return 0
		}
		return i
	}
	weight = 1
	if len(r.Weights) > 0 {
		weight = r.Weights[pick(len(r.Weights))]
	}
	if len(r.Labels) > 0 {
		label = r.Labels[pick(len(r.Labels))]
	}
	if len(r.Tokenizers) > 0 {
		tok = r.Tokenizers[pick(len(r.Tokenizers))]
	}
	return tok, label, weight
}

// Validate checks the lists' lengths and the choices.
func (r RewardConfig) Validate() error {
	n := len(r.Models)
	if n == 0 {
		return errors.New("reward_model: give at least one reward model")
	}
	for name, k := range map[string]int{"reward_weight": len(r.Weights), "reward_tokenizer": len(r.Tokenizers), "reward_label": len(r.Labels)} {
		if k > 1 && k != n {
			return fmt.Errorf("%s has %d values for %d reward models: give one, or one per model", name, k, n)
		}
	}
	if r.Input != "" && r.Input != reward.Pair && r.Input != reward.Text {
		return fmt.Errorf("reward_input %q: want pair or text", r.Input)
	}
	if r.Output != "" && r.Output != reward.Logit && r.Output != reward.Probability {
		return fmt.Errorf("reward_output %q: want logit or probability", r.Output)
	}
	return nil
}

// DefaultRunConfig is TRL's PPOConfig defaults with the book's sampling
// and a small run.
func DefaultRunConfig() RunConfig {
	return RunConfig{PPO: DefaultConfig(), Rollout: DefaultRolloutConfig(), PEFT: rlhf.DefaultPEFT(), MaxSteps: 100, SampleSteps: 10, SaveTotalLimit: 2, BF16: train.BF16Auto}
}

// Validate checks the parts and the run settings.
func (c RunConfig) Validate() error {
	if err := c.PPO.Validate(); err != nil {
		return err
	}
	if err := c.Rollout.Validate(); err != nil {
		return err
	}
	if err := c.PEFT.Validate(); err != nil {
		return err
	}
	if c.MaxSteps < 1 || c.SaveSteps < 0 || c.SampleSteps < 0 || c.SaveTotalLimit < 0 || c.Prompts.MaxLength < 0 {
		return fmt.Errorf("ppo run: max_steps %d must be ≥ 1; save_steps %d, save_total_limit %d, sample_steps %d and max_prompt_length %d ≥ 0",
			c.MaxSteps, c.SaveSteps, c.SaveTotalLimit, c.SampleSteps, c.Prompts.MaxLength)
	}
	if c.OutputDir == "" {
		return errors.New("ppo run: output_dir is required")
	}
	if err := c.BF16.Validate(); err != nil {
		return err
	}
	_, err := train.ParseReportTo(c.ReportTo...)
	return err
}

// Loop drives rollout → reward → Step for Config.MaxSteps iterations,
// writing metrics.jsonl, sample tables, checkpoints and plots.
type Loop struct {
	Config  RunConfig
	Trainer *Trainer
	Prompts [][]int64 // token ids, consumed in shuffled passes
	Reward  reward.Scorer
	// Decode renders ids in sample tables (nil prints the ids).
	Decode  func(ids []int64) string
	Out     io.Writer // progress bar and sample tables; nil = silent
	state   State
	bf16    bool                 // Config.BF16 resolved for the policy's device
	metrics *train.MetricsWriter // Run's, for the sample tables
}

// Run trains until MaxSteps iterations, then saves a final checkpoint and
// the policy (in the run directory, HF layout) and plots the curves. When
// ctx is cancelled (SIGINT) it saves a checkpoint and returns an error
// wrapping train.ErrInterrupted: --resume continues from it.
func (r *Loop) Run(ctx context.Context) (State, error) {
	c := r.Config
	if err := c.Validate(); err != nil {
		return r.state, err
	}
	g := r.Trainer.group
	if need := c.PPO.BatchSize * g.World(); len(r.Prompts) < need {
		return r.state, fmt.Errorf("ppo run: %d prompts, batch_size %d on %d rank(s) needs at least %d", len(r.Prompts), c.PPO.BatchSize, g.World(), need)
	}
	r.state.Stage, r.state.Seed = "ppo", c.PPO.Seed
	reports, err := train.ParseReportTo(c.ReportTo...)
	if err != nil {
		return r.state, err
	}
	var metrics *train.MetricsWriter
	if g.Main() {
		if err := r.checkpoints().Clean(); err != nil {
			return r.state, err
		}
		if metrics, err = train.OpenMetrics(c.OutputDir, reports...); err != nil {
			return r.state, fmt.Errorf("ppo run: %w", err)
		}
		defer metrics.Close()
		r.metrics = metrics
		defer func() { r.metrics = nil }()
	}
	var why string
	r.bf16, why = c.BF16.Resolve(r.Trainer.Policy.Stores()[0].Device())
	if r.bf16 && c.BF16 == train.BF16Auto {
		// On a bf16-capable CPU the same seeded run that raised a
		// classifier's score in fp32 barely moved it under autocast
		// (TestPPORaisesClassifierScore); until that is understood, auto
		// means fp32 for PPO and bf16 must be asked for.
		r.bf16, why = false, "off (auto keeps PPO in fp32; --bf16 true turns autocast on)"
	}
	if r.bf16 {
		r.Trainer.Autocast = r.autocast
	}
	if r.Out != nil {
		fmt.Fprintln(r.Out, "bf16:", why)
	}
	bar := r.progress()
	defer bar.Exit()
	// Under data parallelism an iteration is not cut short by ctx (its
	// collectives need every rank): ranks vote before each iteration and
	// all stop when any was interrupted.
	inner := ctx
	if g != nil {
		inner = context.Background()
	}
	for r.state.Step < c.MaxSteps {
		stop, err := r.stopVote(ctx)
		if err != nil {
			return r.state, fmt.Errorf("ppo step %d: %w", r.state.Step+1, err)
		}
		if stop {
			return r.state, r.interrupt()
		}
		before := r.state
		rec, err := r.iteration(inner)
		if err != nil && ctx.Err() != nil {
			// cancelled in the rollout or the rewards, before the update:
			// the checkpoint is the last finished iteration's, the prompt
			// position included, as a save between iterations
			r.state = before
			return r.state, r.interrupt()
		}
		if err != nil {
			return r.state, fmt.Errorf("ppo step %d: %w", r.state.Step+1, err)
		}
		if metrics != nil {
			if err := metrics.Write(rec); err != nil {
				return r.state, err
			}
		}
		bar.Step(fmt.Sprintf("reward %.3f kl %.3f", rec["env/reward_mean"], rec["objective/kl"]))
		if c.SaveSteps > 0 && r.state.Step%c.SaveSteps == 0 && r.state.Step < c.MaxSteps {
			if _, err := r.Save(); err != nil {
				return r.state, err
			}
		}
	}
	bar.Finish()
	if _, err := r.Save(); err != nil {
		return r.state, err
	}
	if !g.Main() {
		return r.state, nil
	}
	// The final policy also goes to the run's root in HF layout, as the
	// other stages leave theirs, so `--model RUN_DIR` works downstream.
	if saver, ok := r.Trainer.Policy.(models.Saver); ok {
		if err := saver.Save(c.OutputDir); err != nil {
			return r.state, fmt.Errorf("ppo run: save final policy: %w", err)
		}
	}
	if err := metrics.Close(); err != nil {
		return r.state, err
	}
	if _, err := train.PlotFiles(c.OutputDir); err != nil {
		return r.state, err
	}
	return r.state, nil
}

// stopVote reports whether to stop for ctx's cancellation (SIGINT): on
// any rank, under data parallelism.
func (r *Loop) stopVote(ctx context.Context) (bool, error) {
	v := []float64{0}
	if ctx.Err() != nil {
		v[0] = 1
	}
	if err := r.Trainer.sum(v); err != nil {
		return false, err
	}
	return v[0] > 0, nil
}

// rankSeed is the seed this rank's rollouts derive from: the run's seed on
// rank 0, an unrelated one on every other rank, so ranks sample
// differently (accelerate's set_seed(device_specific=True)).
func (r *Loop) rankSeed() int64 {
	if k := r.Trainer.group.Rank(); k > 0 {
		return tensor.StepSeed(r.state.Seed, -int64(k))
	}
	return r.state.Seed
}

// interrupt saves a checkpoint of the last finished iteration for --resume.
func (r *Loop) interrupt() error {
	dir, err := r.Save()
	if err != nil {
		return fmt.Errorf("%w at step %d; saving a checkpoint failed: %v", train.ErrInterrupted, r.state.Step, err)
	}
	return fmt.Errorf("%w at step %d: checkpoint %s (continue with --resume %s)", train.ErrInterrupted, r.state.Step, dir, r.Config.OutputDir)
}

// autocast runs fn under bfloat16 autocast when the run asks for it.
func (r *Loop) autocast(fn func()) error {
	if !r.bf16 {
		fn()
		return nil
	}
	return tensor.Autocast(r.Trainer.Policy.Stores()[0].Device(), gotch.BFloat16, fn)
}

func (r *Loop) progress() *train.Progress {
	return train.NewProgress(r.Out, r.Config.MaxSteps, r.state.Step)
}

// iteration is one PPO iteration: next prompts, rollout, rewards, Step.
// It returns the metrics record (every scalar stat, the raw reward mean
// and the rollout time).
func (r *Loop) iteration(ctx context.Context) (rec train.Record, err error) {
	// An iteration that fails (or is interrupted) leaves the run where it
	// was, so the checkpoint saved next resumes exactly.
	before := r.state
	rng, err := r.Trainer.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.state = before
			if uerr := r.Trainer.pcg.UnmarshalBinary(rng); uerr != nil {
				err = errors.Join(err, uerr)
			}
		}
	}()
	queries := r.nextPrompts()
	tic := time.Now()
	var responses [][]int64
	roll := func() {
		responses, err = r.Trainer.Rollout(ctx, queries, r.Config.Rollout, tensor.StepSeed(r.rankSeed(), int64(r.state.Step)))
	}
	if r.Config.Rollout.Quantize.Resolve(r.Trainer.Policy.Stores()[0].Device()) != layers.None {
		roll() // the packed precision is the rollout's; autocast would recast it
	} else if aerr := r.autocast(roll); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	rollout := time.Since(tic).Seconds()
	scores, err := r.Reward.Rewards(ctx, queries, responses)
	if err != nil {
		return nil, fmt.Errorf("reward: %w", err)
	}
	var stats Stats
	stats, err = r.Trainer.Step(queries, responses, scores) // autocast per forward: Trainer.Autocast
	if err != nil {
		return nil, err
	}
	r.state.Step++
	rec = train.Record{"step": float64(r.state.Step), "time/rollout": rollout}
	for k, v := range stats.Scalars {
		rec[k] = v
	}
	if rec["env/reward_mean"], rec["env/reward_std"], err = r.rewardStats(scores); err != nil {
		return nil, err
	}
	if n := r.Config.SampleSteps; n > 0 && r.state.Step%n == 0 && r.Trainer.group.Main() {
		if err := r.sampleTable(queries, responses, scores); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// nextPrompts returns this rank's batch_size prompts of the current
// shuffled pass, starting a new pass (and shuffle) when too few are left
// for every rank. Ranks take consecutive slices of one global batch of
// batch_size·world prompts (the distributed sampler's rule), dropping a
// pass's remainder.
func (r *Loop) nextPrompts() [][]int64 {
	bs, g := r.Config.PPO.BatchSize, r.Trainer.group
	global := bs * g.World()
	if r.state.Position+global > len(r.Prompts) {
		r.state.Epoch++
		r.state.Position = 0
	}
	order := rand.New(rand.NewPCG(uint64(r.state.Seed), uint64(r.state.Epoch))).Perm(len(r.Prompts))
	out := make([][]int64, bs)
	from := r.state.Position + g.Rank()*bs
	for i := range out {
		out[i] = r.Prompts[order[from+i]]
	}
	r.state.Position += global
	return out
}

// rewardStats are the mean and unbiased std of the raw rewards of the
// global batch.
func (r *Loop) rewardStats(scores []float64) (mean, std float64, err error) {
	if r.Trainer.group == nil {
		mean, std = meanStd(scores)
		return mean, std, nil
	}
	v := []float64{0, 0, float64(len(scores))}
	for _, x := range scores {
		v[0] += x
		v[1] += x * x
	}
	if err := r.Trainer.sum(v); err != nil {
		return 0, 0, err
	}
	n := v[2]
	mean = v[0] / n
	if n > 1 {
		std = math.Sqrt(max(0, (v[1]-n*mean*mean)/(n-1)))
	}
	return mean, std, nil
}

// sampleTable shows up to 4 samples of the batch: printed on Out, and as
// a text table in the metric sinks that take text (TensorBoard).
func (r *Loop) sampleTable(queries, responses [][]int64, scores []float64) error {
	text := func(ids []int64) string {
		if r.Decode != nil {
			return strings.ReplaceAll(r.Decode(ids), "\n", " ")
		}
		return fmt.Sprint(ids)
	}
	var rows [][]string
	for i := 0; i < min(4, len(queries)); i++ {
		rows = append(rows, []string{fmt.Sprintf("%.3f", scores[i]), text(queries[i]), text(responses[i])})
	}
	if r.Out != nil {
		fmt.Fprintf(r.Out, "\nstep %d samples\n%-8s | %-32s | %s\n", r.state.Step, "reward", "query", "response")
		for _, row := range rows {
			fmt.Fprintf(r.Out, "%8s | %-32s | %s\n", row[0], row[1], row[2])
		}
	}
	if r.metrics == nil {
		return nil
	}
	return r.metrics.WriteText(r.state.Step, "ppo/samples", train.MarkdownTable([]string{"reward", "query", "response"}, rows))
}
