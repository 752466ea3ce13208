package train

import (
	"fmt"
	"math"
)

// Schedule kinds, named as transformers' SchedulerType.
const (
	Constant           = "constant"
	ConstantWithWarmup = "constant_with_warmup"
	Linear             = "linear"
	Cosine             = "cosine"
)

// Schedule is a learning-rate multiplier over optimizer steps, with the
// semantics of transformers' get_*_schedule_with_warmup: the update taken
// at step s (0-based, before scheduler.step()) uses LR·Factor(s), so with
// warmup the very first update has learning rate 0.
type Schedule struct {
	Kind   string `yaml:"kind"`
	Warmup int    `yaml:"warmup_steps"`
	Total  int    `yaml:"-"` // set by the loop from the run length
}

// Validate checks the kind and step counts.
func (s Schedule) Validate() error {
	switch s.Kind {
	case Constant, ConstantWithWarmup, Linear, Cosine:
	default:
		return fmt.Errorf("lr schedule %q: want %s, %s, %s or %s", s.Kind, Constant, ConstantWithWarmup, Linear, Cosine)
	}
	if s.Warmup < 0 {
		return fmt.Errorf("warmup steps %d < 0", s.Warmup)
	}
	return nil
}

// Factor returns the multiplier of the base learning rate at step.
func (s Schedule) Factor(step int) float64 {
	if s.Kind == Constant {
		return 1
	}
	if step < s.Warmup {
		return float64(step) / float64(max(1, s.Warmup))
	}
	progress := float64(step-s.Warmup) / float64(max(1, s.Total-s.Warmup))
	switch s.Kind {
	case Linear: // get_linear_schedule_with_warmup
		return max(0, float64(s.Total-step)/float64(max(1, s.Total-s.Warmup)))
	case Cosine: // get_cosine_schedule_with_warmup, num_cycles = 0.5
		return max(0, 0.5*(1+math.Cos(math.Pi*progress)))
	}
	return 1 // constant_with_warmup after warmup
}
