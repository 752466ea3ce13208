package ppo

import (
	"errors"
	"fmt"
)

// Config is TRL 0.11.4's Config (trl/trainer/ppo_config.py): the
// fields that change the math, under TRL's names, plus gotrl's switches
// (whiten_advantages, entropy_coef, padding_side). Zero means "off" for
// max_grad_norm and score_clip (TRL: None).
type Config struct {
	Seed         int64   `yaml:"seed" min:"none"`
	LearningRate float64 `yaml:"learning_rate" alias:"lr"`
	// KL penalty: β starts at init_kl_coef and adapts towards target KL
	// (adap_kl_ctrl) over horizon samples; kl_penalty picks the estimator.
	AdapKLCtrl bool    `yaml:"adap_kl_ctrl" alias:"adaptive-kl" help:"adapt β towards --target"`
	InitKLCoef float64 `yaml:"init_kl_coef" help:"initial KL coefficient β"`
	KLPenalty  Penalty `yaml:"kl_penalty" help:"KL estimator: kl, abs, mse or full"`
	Target     float64 `yaml:"target" help:"adaptive KL target"`
	Horizon    float64 `yaml:"horizon" help:"adaptive KL horizon (samples)"`
	// GAE discount and λ.
	Gamma float64 `yaml:"gamma" help:"GAE discount γ"`
	Lam   float64 `yaml:"lam" help:"GAE λ"`
	// Clipping of the policy ratio and of the value around the old value.
	Cliprange      float64 `yaml:"cliprange" help:"policy ratio clip ε"`
	CliprangeValue float64 `yaml:"cliprange_value" help:"value clip around the old value"`
	VFCoef         float64 `yaml:"vf_coef" help:"value loss weight"`
	// EntropyCoef adds −entropy_coef·entropy to the loss (0 = TRL).
	EntropyCoef float64 `yaml:"entropy_coef" help:"entropy bonus weight (0 = TRL)"`
	// Samples per Step, per forward/backward, and mini-batches per update.
	BatchSize                 int     `yaml:"batch_size" help:"samples per PPO step (rollout batch)"`
	MiniBatchSize             int     `yaml:"mini_batch_size" help:"samples per forward/backward"`
	GradientAccumulationSteps int     `yaml:"gradient_accumulation_steps" alias:"grad-accum"`
	PPOEpochs                 int     `yaml:"ppo_epochs" help:"passes over each batch"`
	MaxGradNorm               float64 `yaml:"max_grad_norm"`
	// Stop a Step's PPO epochs once policy KL > 1.5·target_kl.
	// TRL calls it early_stopping; generate's early_stopping (beam search)
	// has that name here.
	EarlyStopping bool    `yaml:"kl_early_stopping" alias:"early-stopping" help:"stop a step's PPO epochs once KL > 1.5·target_kl"`
	TargetKL      float64 `yaml:"target_kl" help:"KL bound of --early-stopping"`
	// A mini-batch whose mean ratio exceeds this contributes zero loss.
	RatioThreshold float64 `yaml:"ratio_threshold" help:"skip mini-batches whose mean ratio exceeds this"`
	// Scores: divide by (use_score_norm: centre and divide by) a running
	// std, then clip to ±score_clip.
	UseScoreScaling bool    `yaml:"use_score_scaling" help:"divide scores by their running std"`
	UseScoreNorm    bool    `yaml:"use_score_norm" help:"also centre scores (needs --use-score-scaling)"`
	ScoreClip       float64 `yaml:"score_clip" help:"clip scores to ±this; 0 = off"`
	WhitenRewards   bool    `yaml:"whiten_rewards" help:"whiten per-token rewards"`
	// WhitenAdvantages: TRL always whitens advantages; off trains on the
	// raw GAE estimates.
	WhitenAdvantages bool `yaml:"whiten_advantages" help:"whiten advantages (TRL always does)"`
	// ResponseLogitsOnly runs the LM head only from the first response
	// position of the batch on (gotrl's default; the loss is the same).
	// Off, every position gets logits as in TRL, whose stat arrays
	// (objective/logprobs, ppo/policy/ratio) also cover query positions.
	ResponseLogitsOnly bool `yaml:"response_logits_only" help:"run the LM head on response positions only (same loss, less work)"`
	// PaddingSide of query+response rows for decoder-only policies ("right",
	// TRL's collator with a right-padding tokenizer, or "left"); PadTokenID
	// fills them.
	PaddingSide Side  `yaml:"padding_side" help:"padding of query+response rows: right (TRL) or left"`
	PadTokenID  int64 `yaml:"-"`
}

// Side is where padding goes.
type Side string

const (
	Right Side = "right"
	Left  Side = "left"
)

// Validate accepts left and right.
func (s Side) Validate() error {
	if s != Right && s != Left {
		return fmt.Errorf("padding_side %q: want right or left", string(s))
	}
	return nil
}

// DefaultConfig is Config's defaults in TRL 0.11.4.
func DefaultConfig() Config {
	return Config{
		LearningRate: 1.41e-5, AdapKLCtrl: true, InitKLCoef: 0.2, KLPenalty: PenaltyKL,
		Target: 6, Horizon: 10000, Gamma: 1, Lam: 0.95, Cliprange: 0.2, CliprangeValue: 0.2, VFCoef: 0.1,
		BatchSize: 128, MiniBatchSize: 128, GradientAccumulationSteps: 1, PPOEpochs: 4,
		TargetKL: 1, RatioThreshold: 10, WhitenAdvantages: true, ResponseLogitsOnly: true, PaddingSide: Right,
	}
}

// BackwardBatchSize is mini_batch_size · gradient_accumulation_steps: the
// samples behind one optimizer step (TRL's backward_batch_size).
func (c Config) BackwardBatchSize() int { return c.MiniBatchSize * c.GradientAccumulationSteps }

// Validate reports every invalid field (TRL's __post_init__ checks and the
// ranges its code assumes).
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.BatchSize < 1 || c.MiniBatchSize < 1 || c.GradientAccumulationSteps < 1 || c.PPOEpochs < 1 {
		bad("batch_size %d, mini_batch_size %d, gradient_accumulation_steps %d, ppo_epochs %d: all must be ≥ 1",
			c.BatchSize, c.MiniBatchSize, c.GradientAccumulationSteps, c.PPOEpochs)
	} else if c.BatchSize%c.BackwardBatchSize() != 0 {
		bad("batch_size %d must be a multiple of mini_batch_size %d × gradient_accumulation_steps %d = %d",
			c.BatchSize, c.MiniBatchSize, c.GradientAccumulationSteps, c.BackwardBatchSize())
	}
	if err := c.KLPenalty.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.LearningRate < 0 {
		bad("learning_rate %g < 0", c.LearningRate)
	}
	if c.InitKLCoef < 0 {
		bad("init_kl_coef %g < 0", c.InitKLCoef)
	}
	if c.AdapKLCtrl && (c.Target <= 0 || c.Horizon <= 0) {
		bad("adaptive KL needs target > 0 and horizon > 0, got %g and %g", c.Target, c.Horizon)
	}
	if c.Gamma < 0 || c.Gamma > 1 || c.Lam < 0 || c.Lam > 1 {
		bad("gamma %g and lam %g must lie in [0, 1]", c.Gamma, c.Lam)
	}
	if c.Cliprange < 0 || c.CliprangeValue < 0 || c.VFCoef < 0 {
		bad("cliprange %g, cliprange_value %g and vf_coef %g must be ≥ 0", c.Cliprange, c.CliprangeValue, c.VFCoef)
	}
	if c.MaxGradNorm < 0 || c.ScoreClip < 0 {
		bad("max_grad_norm %g and score_clip %g must be ≥ 0 (0 = off)", c.MaxGradNorm, c.ScoreClip)
	}
	if c.EarlyStopping && c.TargetKL <= 0 {
		bad("kl_early_stopping needs target_kl > 0, got %g", c.TargetKL)
	}
	if c.RatioThreshold <= 0 {
		bad("ratio_threshold %g must be > 0", c.RatioThreshold)
	}
	if c.UseScoreNorm && !c.UseScoreScaling {
		bad("use_score_norm needs use_score_scaling (TRL ignores it otherwise)")
	}
	if err := c.PaddingSide.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.PadTokenID < 0 {
		bad("pad_token_id %d < 0", c.PadTokenID)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ppo config: %w", err)
	}
	return nil
}

// KLController returns the controller the config asks for.
func (c Config) KLController() KLController {
	if c.AdapKLCtrl {
		return NewAdaptiveKLController(c.InitKLCoef, c.Target, c.Horizon)
	}
	return &FixedKLController{Coef: c.InitKLCoef}
}
