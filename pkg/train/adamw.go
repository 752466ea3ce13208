// Package train holds what every gotrl trainer shares: the AdamW optimizer
// with its state owned in Go (so checkpoints can save and restore it
// exactly), learning-rate schedules, gradient clipping and the loop.
package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// AdamWConfig holds torch.optim.AdamW's hyper-parameters (same defaults).
type AdamWConfig struct {
	LR          float64 `yaml:"learning_rate" alias:"lr"`
	Beta1       float64 `yaml:"adam_beta1" help:"AdamW β1"`
	Beta2       float64 `yaml:"adam_beta2" help:"AdamW β2"`
	Eps         float64 `yaml:"adam_epsilon" help:"AdamW ε"`
	WeightDecay float64 `yaml:"weight_decay" help:"AdamW weight decay (≥2-D weights only)"`
}

// DefaultAdamW is torch.optim.AdamW's default configuration.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
}

// AdamW mirrors torch.optim.AdamW (amsgrad=False, maximize=False): one C++
// call per step updates every parameter (fused per element, as
// foreach/fused AdamW do; tensor.AdamWStep). Weight decay applies only to
// variables without NoDecay (≥ 2-D weights). With WeightDecay 0 it is
// torch.optim.Adam, which TRL's PPOTrainer uses.
type AdamW struct {
	Config AdamWConfig
	vars   []*nn.Var
	m, v   []*tensor.Tensor // exp_avg, exp_avg_sq; nil until a variable's first step
	step   int64
}

// Validate names the first field out of torch.optim.AdamW's range.
func (c AdamWConfig) Validate() error {
	switch {
	case c.LR < 0:
		return fmt.Errorf("learning_rate %g, want ≥ 0", c.LR)
	case c.Beta1 < 0 || c.Beta1 >= 1:
		return fmt.Errorf("adam_beta1 %g, want 0 ≤ β1 < 1", c.Beta1)
	case c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("adam_beta2 %g, want 0 ≤ β2 < 1", c.Beta2)
	case c.Eps <= 0:
		return fmt.Errorf("adam_epsilon %g, want > 0", c.Eps)
	case c.WeightDecay < 0:
		return fmt.Errorf("weight_decay %g, want ≥ 0", c.WeightDecay)
	}
	return nil
}

// NewAdamW optimizes the given variables.
func NewAdamW(vars []*nn.Var, cfg AdamWConfig) (*AdamW, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &AdamW{Config: cfg, vars: vars, m: make([]*tensor.Tensor, len(vars)), v: make([]*tensor.Tensor, len(vars))}, nil
}

// Steps is the number of updates taken so far.
func (o *AdamW) Steps() int64 { return o.step }

// Step applies one update with learning rate lr to every variable that has
// a gradient.
func (o *AdamW) Step(lr float64) error { return o.StepScaled(lr, 1) }

// StepScaled is Step on the gradients multiplied by gradScale, which stay
// as they are: clip_grad_norm_ then step, with the clipping coefficient
// (tensor.ClipCoef) applied as the update reads each gradient rather than
// in a pass of its own over all of them. The result is bit for bit the
// same.
func (o *AdamW) StepScaled(lr, gradScale float64) error {
	o.step++
	c := o.Config
	decay := make([]bool, len(o.vars))
	for i, v := range o.vars {
		decay[i] = !v.NoDecay
	}
	return tensor.AdamWStep(params(o.vars), o.m, o.v, decay, tensor.AdamWHyper{
		LR: lr, Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Eps, WeightDecay: c.WeightDecay, Step: o.step, GradScale: gradScale,
	})
}

// ZeroGrad clears every variable's gradient (optimizer.zero_grad(), which
// sets them to None in PyTorch 2.x).
func (o *AdamW) ZeroGrad() error { return ZeroGrad(o.vars) }

// ZeroGrad clears the gradients of vars (set to None, as zero_grad does):
// the next backward writes them afresh, so accumulation is unchanged.
func ZeroGrad(vars []*nn.Var) error { return tensor.GradsToNone(params(vars)) }

// params returns the tensors of vars.
func params(vars []*nn.Var) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(vars))
	for i, v := range vars {
		out[i] = v.T
	}
	return out
}

// State returns the optimizer state as named tensors (step count separately),
// for checkpoints: "exp_avg.<var>" and "exp_avg_sq.<var>".
func (o *AdamW) State() (step int64, named map[string]*tensor.Tensor) {
	named = map[string]*tensor.Tensor{}
	for i, v := range o.vars {
		if o.m[i] != nil {
			named["exp_avg."+v.Name] = o.m[i]
			named["exp_avg_sq."+v.Name] = o.v[i]
		}
	}
	return o.step, named
}

// LoadState restores a state saved by State; tensors are copied.
func (o *AdamW) LoadState(step int64, named map[string]*tensor.Tensor) (err error) {
	defer tensor.Recover(&err)
	if step < 0 {
		return fmt.Errorf("optimizer step %d, want ≥ 0", step)
	}
	// every saved moment must belong to a parameter of this model: a state
	// of another model (or an edited file) must not resume half-applied
	for k := range named {
		name, ok := strings.CutPrefix(k, "exp_avg.")
		if !ok {
			name, ok = strings.CutPrefix(k, "exp_avg_sq.")
		}
		if !ok || !slices.ContainsFunc(o.vars, func(v *nn.Var) bool { return v.Name == name }) {
			return fmt.Errorf("optimizer state %q matches no parameter of the model", k)
		}
	}
	o.Close()
	o.step = step
	for i, v := range o.vars {
		m, okm := named["exp_avg."+v.Name]
		sq, oks := named["exp_avg_sq."+v.Name]
		if okm != oks {
			return fmt.Errorf("optimizer state for %s is incomplete", v.Name)
		}
		if !okm {
			continue
		}
		want := tensor.Shape(v.T)
		if got := tensor.Shape(m); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("optimizer state for %s: shape %v, want %v", v.Name, got, want)
		}
		o.m[i] = copyTo(m, v.T)
		o.v[i] = copyTo(sq, v.T)
	}
	return nil
}

// copyTo returns a detached copy of src with like's device and dtype.
func copyTo(src, like *tensor.Tensor) *tensor.Tensor {
	dev, err := like.Device()
	tensor.Check(err)
	c, err := src.ToDevice(dev, like.DType(), false, true, false)
	tensor.Check(err)
	d, err := c.Detach(true)
	tensor.Check(err)
	return d
}

// Close frees the optimizer state.
func (o *AdamW) Close() {
	for i := range o.m {
		tensor.Free(o.m[i], o.v[i])
		o.m[i], o.v[i] = nil, nil
	}
}
