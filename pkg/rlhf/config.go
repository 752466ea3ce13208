package rlhf

import (
	"errors"
	"fmt"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/train"
)

// DataConfig says what a stage reads and how it tokenizes it.
type DataConfig struct {
	Tokenizer string     `yaml:"tokenizer_name" hub:"tokenizer" alias:"tokenizer"`
	Path      data.Files `yaml:"train_file" alias:"data"`
	// Dataset is resolved into Path and EvalPath by the command.
	Dataset  data.HubDataset `yaml:",inline"`
	Fields   []string        `yaml:"fields" alias:"field"`
	Format   string          `yaml:"format"`
	SkipBad  bool            `yaml:"skip_bad"`
	EvalPath data.Files      `yaml:"validation_file" alias:"eval-data"`
	// EvalFraction holds out part of Path for evaluation when EvalPath is
	// empty (group-aware split seeded by the run seed).
	EvalFraction float64 `yaml:"eval_fraction" help:"fraction of --train-file held out for evaluation (group-aware, seeded)"`
	MaxEval      int     `yaml:"max_eval_samples" alias:"max-eval" help:"evaluate on at most N examples; 0 = all"`
	MaxLen       int     `yaml:"max_length" alias:"max-seq-length"`
}

func (d DataConfig) validate() error {
	switch {
	case d.Tokenizer == "":
		return errors.New("tokenizer_name is empty")
	case len(d.Path) == 0:
		return errors.New("train_file is empty: give the training data (train_file or dataset_name)")
	case d.MaxLen <= 0:
		return fmt.Errorf("max_length %d, want > 0", d.MaxLen)
	case d.EvalFraction < 0 || d.EvalFraction >= 1:
		return fmt.Errorf("eval_fraction %g, want in [0, 1)", d.EvalFraction)
	}
	return nil
}

// validate checks the parts every stage config has.
func validate(t train.Config, m models.Source, d DataConfig, p PEFTConfig) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return d.validate()
}

// Objective is a pretraining objective, named as HF's example scripts
// train them: run_clm, run_mlm, run_t5_mlm.
type Objective string

const (
	Causal Objective = "causal" // next-token prediction (decoders)
	MLM    Objective = "mlm"    // masked LM, optionally whole-word (encoders)
	Span   Objective = "span"   // span corruption (encoder-decoders)
)

// Validate accepts the objectives and "" (the model's own).
func (o Objective) Validate() error {
	switch o {
	case "", Causal, MLM, Span:
		return nil
	}
	return fmt.Errorf("objective %q: want %s, %s or %s", o, Causal, MLM, Span)
}

// PretrainConfig configures `gotrl pretrain`.
type PretrainConfig struct {
	Train train.Config  `yaml:",inline"`
	Model models.Source `yaml:",inline"`
	Data  DataConfig    `yaml:",inline"`
	PEFT  PEFTConfig    `yaml:",inline"`
	// TextField is the record field holding a document in JSON/CSV data;
	// .txt files hold one document per line.
	TextField string `yaml:"dataset_text_field" alias:"text-field"`
	// Objective is causal (decoders), mlm (encoders) or span (T5); ""
	// picks it from the model.
	Objective    Objective `yaml:"objective" help:"causal, mlm or span (default: the model's kind)"`
	MLMProb      float64   `yaml:"mlm_probability" help:"fraction of tokens masked (mlm)"`
	WholeWord    bool      `yaml:"whole_word_mask" help:"mask whole words (mlm)"`
	NoiseDensity float64   `yaml:"noise_density" help:"fraction of tokens in noise spans (span)"`
	MeanSpan     float64   `yaml:"mean_noise_span_length" alias:"mean-span" help:"mean noise span length (span)"`
}

// DefaultPretrain mirrors HF run_clm / run_mlm / run_t5_mlm defaults.
func DefaultPretrain() PretrainConfig {
	c := PretrainConfig{Train: train.DefaultConfig(), PEFT: DefaultPEFT(), TextField: "text", MLMProb: 0.15, NoiseDensity: 0.15, MeanSpan: 3}
	c.Train.Optimizer.LR = 5e-4
	c.Data.MaxLen, c.Data.EvalFraction = 128, 0.05
	return c
}

// Validate checks every field.
func (c PretrainConfig) Validate() error {
	if err := validate(c.Train, c.Model, c.Data, c.PEFT); err != nil {
		return err
	}
	if err := c.Objective.Validate(); err != nil {
		return err
	}
	if c.MLMProb <= 0 || c.MLMProb >= 1 || c.NoiseDensity <= 0 || c.NoiseDensity >= 1 || c.MeanSpan < 1 {
		return fmt.Errorf("mlm_probability %g and noise_density %g want (0, 1), mean_noise_span_length %g ≥ 1", c.MLMProb, c.NoiseDensity, c.MeanSpan)
	}
	return nil
}

// SFTConfig configures `gotrl sft`.
type SFTConfig struct {
	Train train.Config  `yaml:",inline"`
	Model models.Source `yaml:",inline"`
	Data  DataConfig    `yaml:",inline"`
	PEFT  PEFTConfig    `yaml:",inline"`
	// LossOnAll learns the prompt tokens too; by default only the
	// response (TRL DataCollatorForCompletionOnlyLM).
	LossOnAll bool `yaml:"loss_on_all_tokens" alias:"loss-on-all" help:"learn the prompt tokens too (default: the completion only)"`
	MaxPrompt int  `yaml:"max_prompt_length"`
	// Samples prompts of the eval set are completed greedily at each
	// evaluation, MaxNewTokens tokens at most.
	Samples      int `yaml:"eval_samples" help:"eval prompts completed (greedily) at each evaluation"`
	MaxNewTokens int `yaml:"max_new_tokens"`
}

// DefaultSFT mirrors TRL SFTTrainer's defaults (lr 2e-5 there; the book's
// small models train with 1e-4).
func DefaultSFT() SFTConfig {
	c := SFTConfig{Train: train.DefaultConfig(), PEFT: DefaultPEFT(), Samples: 3, MaxNewTokens: 32}
	c.Train.Optimizer.LR = 1e-4
	c.Data.MaxLen, c.Data.EvalFraction = 256, 0.05
	return c
}

// Validate checks every field.
func (c SFTConfig) Validate() error {
	if err := validate(c.Train, c.Model, c.Data, c.PEFT); err != nil {
		return err
	}
	if c.Samples < 0 || c.MaxPrompt < 0 || c.MaxNewTokens < 1 {
		return fmt.Errorf("eval_samples %d and max_prompt_length %d want ≥ 0, max_new_tokens %d ≥ 1", c.Samples, c.MaxPrompt, c.MaxNewTokens)
	}
	return nil
}

// generation is how eval samples are completed: greedily.
func (c SFTConfig) generation() generate.Config {
	g := generate.Default()
	g.MaxNewTokens = c.MaxNewTokens
	return g
}

// RMConfig configures `gotrl rm`.
type RMConfig struct {
	Train  train.Config  `yaml:",inline"`
	Model  models.Source `yaml:",inline"`
	Data   DataConfig    `yaml:",inline"`
	PEFT   PEFTConfig    `yaml:",inline"`
	Schema Schema        `yaml:"schema" help:"preference {prompt,chosen,rejected}, ranked {prompt,responses: best first} or cmrc (the book's CMRC2018 RewardRank lists)"`
	Margin float64       `yaml:"margin" help:"required reward margin in −log σ(r_c − r_r − margin)"`
	// CenterRewards adds coef·mean((r_c + r_r)²) to the loss, pulling
	// rewards towards mean zero (TRL RewardConfig; 0 = off, TRL's None).
	CenterRewards float64 `yaml:"center_rewards_coefficient" help:"add coef·mean((r_chosen + r_rejected)²) to the loss (centres rewards); 0 = off"`
}

// Schema says how preference data is laid out.
type Schema string

const (
	Preference Schema = "preference" // {prompt, chosen, rejected}
	Ranked     Schema = "ranked"     // {prompt, responses}, best first: every ordered pair
	CMRC       Schema = "cmrc"       // RewardRank lists built from CMRC2018 (the book's)
)

// Validate accepts the three schemas.
func (s Schema) Validate() error {
	switch s {
	case Preference, Ranked, CMRC:
		return nil
	}
	return fmt.Errorf("schema %q: want preference, ranked or cmrc", string(s))
}

// DefaultRM mirrors TRL RewardConfig's defaults where they apply.
func DefaultRM() RMConfig {
	c := RMConfig{Train: train.DefaultConfig(), PEFT: DefaultPEFT(), Schema: Preference}
	c.Train.Optimizer.LR = 5e-5
	c.Train.Metric, c.Train.GreaterIsBetter = "eval/accuracy", true
	c.Data.MaxLen, c.Data.EvalFraction = 256, 0.1
	return c
}

// Validate checks every field.
func (c RMConfig) Validate() error {
	if err := validate(c.Train, c.Model, c.Data, c.PEFT); err != nil {
		return err
	}
	return c.Schema.Validate()
}
