package ppo

import "math"

// KLController sets β, the weight of the per-token KL penalty in PPO's
// rewards (trl/trainer/utils.py: FixedKLController, AdaptiveKLController).
type KLController interface {
	// Value is the current coefficient β.
	Value() float64
	// Update adapts β after a step whose mean KL was current, nSteps
	// being the number of samples in that step (TRL passes batch_size).
	Update(current float64, nSteps int)
}

// FixedKLController keeps β constant (adap_kl_ctrl: false).
type FixedKLController struct {
	Coef float64 `json:"value"`
}

func (c *FixedKLController) Value() float64      { return c.Coef }
func (c *FixedKLController) Update(float64, int) {}

// AdaptiveKLController is Ziegler et al. (2019)'s proportional controller
// (https://arxiv.org/abs/1909.08593): β grows when the KL is above
// Target and shrinks below it, by at most 20 % per Horizon samples.
// Its exported fields are its whole state (checkpoints save them).
type AdaptiveKLController struct {
	Coef    float64 `json:"value"`
	Target  float64 `json:"target"`
	Horizon float64 `json:"horizon"`
}

// NewAdaptiveKLController starts at init (TRL: init_kl_coef 0.2, target 6,
// horizon 10000).
func NewAdaptiveKLController(init, target, horizon float64) *AdaptiveKLController {
	return &AdaptiveKLController{Coef: init, Target: target, Horizon: horizon}
}

func (c *AdaptiveKLController) Value() float64 { return c.Coef }

// Update applies proportional_error = clip(current/target − 1, −0.2, 0.2)
// and β ·= 1 + proportional_error · nSteps / horizon.
func (c *AdaptiveKLController) Update(current float64, nSteps int) {
	e := math.Max(-0.2, math.Min(0.2, current/c.Target-1))
	c.Coef *= 1 + e*float64(nSteps)/c.Horizon
}
