package train

import (
	"errors"
	"fmt"
)

// Config is what the loop needs from a run; every stage embeds it. Its
// YAML keys (and the flags bound to them) are transformers'
// TrainingArguments names.
type Config struct {
	OutputDir string `yaml:"output_dir" alias:"output" short:"o"`
	Seed      int64  `yaml:"seed" min:"none"`
	// Epochs bounds the run unless MaxSteps > 0.
	Epochs    int `yaml:"num_train_epochs" alias:"epochs"`
	MaxSteps  int `yaml:"max_steps"`
	BatchSize int `yaml:"per_device_train_batch_size" alias:"batch-size,train-batch-size" help:"examples per micro-batch (and per eval batch)"`
	// Accum micro-batches make one optimizer step; each loss is scaled by
	// 1/Accum.
	Accum       int         `yaml:"gradient_accumulation_steps" alias:"grad-accum"`
	Optimizer   AdamWConfig `yaml:",inline"`
	Schedule    Schedule    `yaml:",inline"`
	MaxGradNorm float64     `yaml:"max_grad_norm"`
	LogEvery    int         `yaml:"logging_steps"`
	EvalEvery   int         `yaml:"eval_steps"`
	SaveEvery   int         `yaml:"save_steps"`
	KeepLast    int         `yaml:"save_total_limit"`
	// Metric drives the best checkpoint and early stopping: an eval key
	// such as "eval/loss" (HF's "eval_loss" and "loss" name it too).
	Metric          string  `yaml:"metric_for_best_model" alias:"metric" help:"eval metric for the best checkpoint and early stopping (eval_loss, eval_accuracy, …)"`
	GreaterIsBetter bool    `yaml:"greater_is_better" help:"a larger --metric-for-best-model is better"`
	BestAtEnd       bool    `yaml:"load_best_model_at_end" help:"save the best checkpoint's model as the final model"`
	Patience        int     `yaml:"early_stopping_patience" alias:"patience" help:"stop after N evaluations without improvement; 0 = never"`
	Threshold       float64 `yaml:"early_stopping_threshold" help:"an improvement must beat the best by more than this"`
	// BF16 runs each forward under libtorch autocast in bfloat16 (fp32
	// master weights, fp32 softmax/norms/losses), as torch.autocast does:
	// auto (the default) where the CPU has AMX or AVX-512-BF16.
	BF16 BF16Mode `yaml:"bf16" bare:"true"`
	// ReportTo adds metric sinks to metrics.jsonl (always written).
	ReportTo []string `yaml:"report_to"`
}

// DefaultConfig mirrors TrainingArguments' defaults where they make sense
// for the book's small runs.
func DefaultConfig() Config {
	opt := DefaultAdamW()
	opt.LR = 5e-5
	opt.WeightDecay = 0
	return Config{
		Seed: 42, Epochs: 1, BatchSize: 8, Accum: 1, Optimizer: opt,
		Schedule:    Schedule{Kind: Linear},
		MaxGradNorm: 1, LogEvery: 1, KeepLast: 2, Metric: "eval/loss",
		BF16: BF16Auto,
	}
}

// Validate reports the first inconsistent field.
func (c Config) Validate() error {
	switch {
	case c.OutputDir == "":
		return errors.New("output_dir is empty")
	case c.MaxSteps < 0:
		return fmt.Errorf("max_steps %d, want ≥ 0 (0: num_train_epochs decides)", c.MaxSteps)
	case c.Epochs <= 0 && c.MaxSteps <= 0:
		return fmt.Errorf("num_train_epochs %d and max_steps %d: one must be > 0", c.Epochs, c.MaxSteps)
	case c.BatchSize <= 0:
		return fmt.Errorf("per_device_train_batch_size %d, want > 0", c.BatchSize)
	case c.Accum <= 0:
		return fmt.Errorf("gradient_accumulation_steps %d, want > 0", c.Accum)
	case c.MaxGradNorm < 0:
		return fmt.Errorf("max_grad_norm %g, want ≥ 0", c.MaxGradNorm)
	case c.LogEvery < 0 || c.EvalEvery < 0 || c.SaveEvery < 0 || c.KeepLast < 0 || c.Patience < 0:
		return errors.New("logging_steps, eval_steps, save_steps, save_total_limit and early_stopping_patience must be ≥ 0")
	case c.Patience > 0 && c.Metric == "":
		return errors.New("early_stopping_patience needs metric_for_best_model")
	case c.BestAtEnd && (c.Metric == "" || c.EvalEvery <= 0 || c.SaveEvery <= 0 || c.SaveEvery%c.EvalEvery != 0):
		return fmt.Errorf("load_best_model_at_end needs metric_for_best_model and save_steps (%d) a multiple of eval_steps (%d), as in transformers", c.SaveEvery, c.EvalEvery)
	}
	if _, err := ParseReportTo(c.ReportTo...); err != nil {
		return err
	}
	if err := c.BF16.Validate(); err != nil {
		return err
	}
	if _, err := NewAdamW(nil, c.Optimizer); err != nil {
		return err
	}
	return c.Schedule.Validate()
}

// TotalSteps is the number of optimizer steps for batches micro-batches per epoch.
func (c Config) TotalSteps(batches int) int {
	if c.MaxSteps > 0 {
		return c.MaxSteps
	}
	perEpoch := max(1, batches/c.Accum) // HF drops a trailing partial accumulation
	return c.Epochs * perEpoch
}
