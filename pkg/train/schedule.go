package train

import (
	"fmt"
	"math"
)

// SchedulerType names a learning-rate schedule as transformers'
// SchedulerType does.
type SchedulerType string

const (
	Constant           SchedulerType = "constant"
	ConstantWithWarmup SchedulerType = "constant_with_warmup"
	Linear             SchedulerType = "linear"
	Cosine             SchedulerType = "cosine"
)

// Validate accepts the four kinds.
func (k SchedulerType) Validate() error {
	switch k {
	case Constant, ConstantWithWarmup, Linear, Cosine:
		return nil
	}
	return fmt.Errorf("lr_scheduler_type %q: want %s, %s, %s or %s", string(k), Constant, ConstantWithWarmup, Linear, Cosine)
}

// Schedule is a learning-rate multiplier over optimizer steps, with the
// semantics of transformers' get_*_schedule_with_warmup: the update taken
// at step s (0-based, before scheduler.step()) uses LR·Factor(s), so with
// warmup the very first update has learning rate 0.
type Schedule struct {
	Kind   SchedulerType `yaml:"lr_scheduler_type" alias:"lr-schedule" help:"constant, constant_with_warmup, linear or cosine"`
	Warmup int           `yaml:"warmup_steps" help:"linear warmup steps (overrides --warmup-ratio)"`
	// Ratio is warmup_ratio: with Warmup 0, ceil(Total·Ratio) warmup steps
	// (TrainingArguments.get_warmup_steps).
	Ratio float64 `yaml:"warmup_ratio" help:"warmup as a fraction of the training steps, rounded up; used when --warmup-steps is 0"`
	Total int     `yaml:"-"` // set by the loop from the run length
}

// WarmupSteps is warmup_steps if > 0, else ceil(Total·warmup_ratio).
func (s Schedule) WarmupSteps() int {
	if s.Warmup > 0 {
		return s.Warmup
	}
	return int(math.Ceil(float64(s.Total) * s.Ratio))
}

// Validate checks the kind and step counts.
func (s Schedule) Validate() error {
	if err := s.Kind.Validate(); err != nil {
		return err
	}
	if s.Warmup < 0 {
		return fmt.Errorf("warmup steps %d < 0", s.Warmup)
	}
	if s.Ratio < 0 || s.Ratio > 1 || math.IsNaN(s.Ratio) {
		return fmt.Errorf("warmup_ratio %g, want in [0, 1]", s.Ratio)
	}
	return nil
}

// Factor returns the multiplier of the base learning rate at step.
func (s Schedule) Factor(step int) float64 {
	if s.Kind == Constant {
		return 1
	}
	warmup := s.WarmupSteps()
	if step < warmup {
		return float64(step) / float64(max(1, warmup))
	}
	progress := float64(step-warmup) / float64(max(1, s.Total-warmup))
	switch s.Kind {
	case Linear: // get_linear_schedule_with_warmup
		return max(0, float64(s.Total-step)/float64(max(1, s.Total-warmup)))
	case Cosine: // get_cosine_schedule_with_warmup, num_cycles = 0.5
		return max(0, 0.5*(1+math.Cos(math.Pi*progress)))
	}
	return 1 // constant_with_warmup after warmup
}
