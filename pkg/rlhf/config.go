package rlhf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
	"github.com/gotrl/gotrl/pkg/train"
)

// ConfigFile is the resolved configuration a run saves in its directory.
const ConfigFile = "config.yaml"

// DataConfig says what a stage reads and how it tokenizes it.
type DataConfig struct {
	Tokenizer string   `yaml:"tokenizer"` // tokenizer directory or file (tokenizer.Load)
	Path      string   `yaml:"data"`
	Fields    []string `yaml:"fields"` // renames: want=have, e.g. prompt=content
	Format    string   `yaml:"format"` // "" picks by extension
	SkipBad   bool     `yaml:"skip_bad"`
	EvalPath  string   `yaml:"eval_data"`
	// EvalFraction holds out part of Path for evaluation when EvalPath is
	// empty (group-aware split seeded by the run seed).
	EvalFraction float64 `yaml:"eval_fraction"`
	MaxEval      int     `yaml:"max_eval_examples"` // 0: all
	MaxLen       int     `yaml:"max_length"`
}

func (d DataConfig) validate() error {
	switch {
	case d.Tokenizer == "":
		return errors.New("tokenizer is empty")
	case d.Path == "":
		return errors.New("data is empty")
	case d.MaxLen <= 0:
		return fmt.Errorf("max_length %d, want > 0", d.MaxLen)
	case d.EvalFraction < 0 || d.EvalFraction >= 1:
		return fmt.Errorf("eval_fraction %g, want in [0, 1)", d.EvalFraction)
	}
	return nil
}

// validate checks the parts every stage config has.
func validate(t train.Config, m Source, d DataConfig) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return d.validate()
}

// PretrainConfig configures `gotrl pretrain`.
type PretrainConfig struct {
	Train train.Config `yaml:"train"`
	Model Source       `yaml:"model"`
	Data  DataConfig   `yaml:"data"`
	// TextField is the record field holding a document in JSON/CSV data;
	// .txt files hold one document per line.
	TextField string `yaml:"text_field"`
	// Objective is causal (decoders), mlm (encoders) or span (T5); ""
	// picks it from the model type.
	Objective    string  `yaml:"objective"`
	MLMProb      float64 `yaml:"mlm_probability"`
	WholeWord    bool    `yaml:"whole_word_mask"`
	NoiseDensity float64 `yaml:"noise_density"`
	MeanSpan     float64 `yaml:"mean_noise_span_length"`
}

// DefaultPretrain mirrors HF run_clm / run_mlm / run_t5_mlm defaults.
func DefaultPretrain() PretrainConfig {
	c := PretrainConfig{Train: train.DefaultConfig(), TextField: "text", MLMProb: 0.15, NoiseDensity: 0.15, MeanSpan: 3}
	c.Train.Optimizer.LR = 5e-4
	c.Data.MaxLen, c.Data.EvalFraction = 128, 0.05
	return c
}

// Validate checks every field.
func (c PretrainConfig) Validate() error {
	if err := validate(c.Train, c.Model, c.Data); err != nil {
		return err
	}
	switch c.Objective {
	case "", "causal", "mlm", "span":
	default:
		return fmt.Errorf("objective %q: want causal, mlm or span", c.Objective)
	}
	if c.MLMProb <= 0 || c.MLMProb >= 1 || c.NoiseDensity <= 0 || c.NoiseDensity >= 1 || c.MeanSpan < 1 {
		return fmt.Errorf("mlm_probability %g and noise_density %g want (0, 1), mean_noise_span_length %g ≥ 1", c.MLMProb, c.NoiseDensity, c.MeanSpan)
	}
	return nil
}

// SFTConfig configures `gotrl sft`.
type SFTConfig struct {
	Train train.Config `yaml:"train"`
	Model Source       `yaml:"model"`
	Data  DataConfig   `yaml:"data"`
	// LossOnAll learns the prompt tokens too; by default only the
	// response (TRL DataCollatorForCompletionOnlyLM).
	LossOnAll bool `yaml:"loss_on_all_tokens"`
	MaxPrompt int  `yaml:"max_prompt_length"`
	// Samples prompts of the eval set are completed at each evaluation.
	Samples    int             `yaml:"eval_samples"`
	Generation generate.Config `yaml:"generation"`
}

// DefaultSFT mirrors TRL SFTTrainer's defaults (lr 2e-5 there; the book's
// small models train with 1e-4).
func DefaultSFT() SFTConfig {
	c := SFTConfig{Train: train.DefaultConfig(), Samples: 3, Generation: generate.Default()}
	c.Train.Optimizer.LR = 1e-4
	c.Data.MaxLen, c.Data.EvalFraction = 256, 0.05
	c.Generation.MaxNewTokens = 32
	return c
}

// Validate checks every field.
func (c SFTConfig) Validate() error {
	if err := validate(c.Train, c.Model, c.Data); err != nil {
		return err
	}
	if c.Samples < 0 || c.MaxPrompt < 0 {
		return fmt.Errorf("eval_samples %d and max_prompt_length %d want ≥ 0", c.Samples, c.MaxPrompt)
	}
	if c.Samples > 0 {
		return c.Generation.Validate()
	}
	return nil
}

// RMConfig configures `gotrl rm`.
type RMConfig struct {
	Train train.Config `yaml:"train"`
	Model Source       `yaml:"model"`
	Data  DataConfig   `yaml:"data"`
	// Schema is preference ({prompt, chosen, rejected}), ranked ({prompt,
	// responses: best first}) or cmrc (the book's RewardRank lists built
	// from CMRC2018).
	Schema string  `yaml:"schema"`
	Margin float64 `yaml:"margin"`
}

// DefaultRM mirrors TRL RewardConfig's defaults where they apply.
func DefaultRM() RMConfig {
	c := RMConfig{Train: train.DefaultConfig(), Schema: "preference"}
	c.Train.Optimizer.LR = 5e-5
	c.Train.Metric, c.Train.GreaterIsBetter = "eval/accuracy", true
	c.Data.MaxLen, c.Data.EvalFraction = 256, 0.1
	return c
}

// Validate checks every field.
func (c RMConfig) Validate() error {
	if err := validate(c.Train, c.Model, c.Data); err != nil {
		return err
	}
	switch c.Schema {
	case "preference", "ranked", "cmrc":
	default:
		return fmt.Errorf("schema %q: want preference, ranked or cmrc", c.Schema)
	}
	return nil
}

// ReadConfigFile decodes a YAML file over cfg (which holds the defaults);
// unknown keys are errors naming the line.
func ReadConfigFile(path string, cfg any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && err != io.EOF {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeConfig saves the resolved configuration as runDir/config.yaml.
func writeConfig(runDir string, cfg any) error {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(filepath.Join(runDir, ConfigFile), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
