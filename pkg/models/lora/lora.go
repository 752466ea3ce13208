// Package lora adds low-rank adapters to any model family, as Hugging Face
// PEFT's LoraModel does (peft/tuners/lora): every Linear or Conv1D whose
// name ends with a target gets lora_A [r, in] and lora_B [out, r] in the
// model's own store, its output becomes base(x) + alpha/r · B(A(dropout(x)))
// (alpha/√r with use_rslora; r and alpha per module with rank_pattern and
// alpha_pattern), and every other parameter is frozen. Save and Load read
// and write PEFT's adapter_model.safetensors + adapter_config.json (Load
// refuses the options it would not compute as peft 0.13.2 does:
// adapterconfig.go); Merge folds the update into the base weights so
// weights.Save writes a plain HF checkpoint.
package lora

import (
	"fmt"
	"math"
	"strings"

	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Config is PEFT's LoraConfig (the keys adapter_config.json uses).
type Config struct {
	R       int      `json:"r" yaml:"r"`
	Alpha   float64  `json:"lora_alpha" yaml:"lora_alpha"`
	Dropout float64  `json:"lora_dropout" yaml:"lora_dropout"`
	Targets []string `json:"target_modules" yaml:"target_modules"`
	// TaskType is PEFT's task_type: the head a loader builds the base
	// model with (a SEQ_CLS adapter carries its classifier).
	TaskType TaskType `json:"task_type,omitempty" yaml:"task_type"`
	// ModulesToSave are modules trained in full beside the adapters and
	// saved with them (PEFT's modules_to_save): a new classification or
	// value head.
	ModulesToSave []string `json:"modules_to_save,omitempty" yaml:"modules_to_save"`
	// BaseModel is where the base model came from
	// (base_model_name_or_path), so an adapter directory loads alone.
	BaseModel string `json:"base_model_name_or_path,omitempty" yaml:"-"`

	// The options below come from adapter_config.json files that PEFT
	// wrote (see adapterconfig.go for their JSON forms); gotrl's training
	// flags leave them at their zero values.

	// TargetRegex is target_modules given as one string: a regular
	// expression a module's whole name must match, or "all-linear". It
	// replaces Targets.
	TargetRegex string `json:"-" yaml:"-"`
	// LayersToTransform restricts suffix-matched Targets to these layer
	// indices, read from the name after LayersPattern (any component
	// when empty).
	LayersToTransform []int    `json:"-" yaml:"-"`
	LayersPattern     []string `json:"-" yaml:"-"`
	// RankPattern and AlphaPattern give some modules their own r and
	// lora_alpha (PEFT's rank_pattern, alpha_pattern), in file order.
	RankPattern  Pattern `json:"-" yaml:"-"`
	AlphaPattern Pattern `json:"-" yaml:"-"`
	// RSLoRA scales the update by alpha/√r instead of alpha/r (PEFT's
	// use_rslora, rank-stabilised LoRA).
	RSLoRA bool `json:"-" yaml:"-"`
	// Bias is PEFT's bias: with "all" the base biases are trained and
	// saved with the adapter.
	Bias Bias `json:"-" yaml:"-"`
}

// DefaultTargets are the modules PEFT adapts by default for each model
// type (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).
var DefaultTargets = map[string][]string{
	"gpt2":        {"c_attn"},
	"bert":        {"query", "value"},
	"roberta":     {"query", "value"},
	"xlm-roberta": {"query", "value"},
	"t5":          {"q", "v"},
	"mt5":         {"q", "v"},
}

// scaling is the factor PEFT applies to B·A for a module of rank r and
// alpha: alpha/r, or alpha/√r with use_rslora (LoraLayer.update_layer).
func (c Config) scaling(r int, alpha float64) float64 {
	if c.RSLoRA {
		return alpha / math.Sqrt(float64(r))
	}
	return alpha / float64(r)
}

// Validate checks the values PEFT would reject or that make no update.
func (c Config) Validate() error {
	switch {
	case c.R < 1:
		return fmt.Errorf("lora config: r = %d, want ≥ 1", c.R)
	case c.Alpha <= 0:
		return fmt.Errorf("lora config: lora_alpha = %g, want > 0", c.Alpha)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("lora config: lora_dropout = %g, want in [0, 1)", c.Dropout)
	case len(c.Targets) == 0 && c.TargetRegex == "":
		return fmt.Errorf("lora config: target_modules is empty")
	}
	for i, t := range c.Targets {
		if t == "" {
			return fmt.Errorf("lora config: target_modules[%d] is empty", i)
		}
	}
	_, err := newSelector(c)
	return err
}

// Adapter is the set of LoRA layers Apply added to one store.
type Adapter struct {
	Config Config
	// Train turns on lora_dropout; Forward methods carry no train flag
	// to the layers, so the trainer sets it around training steps.
	Train   bool
	store   *nn.Store
	modules []*module
}

// module is one adapted projection (PEFT's lora.Linear).
type module struct {
	name    string
	scale   float64        // scaling for this module's r and alpha
	a, b    *tensor.Tensor // lora_A.weight [r, in], lora_B.weight [out, r]
	weight  *tensor.Tensor // the base weight: [out, in], or [in, out] for Conv1D
	conv    bool           // Conv1D (PEFT's fan_in_fan_out)
	hook    *layers.Hook
	adapter *Adapter
}

// Delta is scale · dropout(x) Aᵀ Bᵀ: [..., in] → [..., out].
func (m *module) Delta(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	c := m.adapter.Config
	x = s.Add(layers.Dropout(x, c.Dropout, m.adapter.Train))
	h := s.T(ts.Linear(x, m.a, tensor.Opt(nil))) // lora_A(x)
	y := s.T(ts.Linear(h, m.b, tensor.Opt(nil))) // lora_B(h)
	return s.Keep(s.T(y.MulScalar(s.Float(m.scale), false)))
}

// Apply adds lora_A and lora_B to every registered Linear or Conv1D of
// store whose name matches a target, and leaves only them trainable.
// Every entry of a list Targets must match (a typo in a training flag is
// caught); Load, like PEFT, needs one match in all.
func Apply(store *nn.Store, cfg Config) (*Adapter, error) { return apply(store, cfg, true) }

func apply(store *nn.Store, cfg Config, each bool) (_ *Adapter, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Match every target before creating anything, so an error leaves
	// the store untouched.
	sel, err := newSelector(cfg)
	if err != nil {
		return nil, err
	}
	targets, err := sel.targets(store, each)
	if err == nil {
		err = sel.checkSaved(store)
	}
	if err != nil {
		return nil, err
	}
	a := &Adapter{Config: cfg, store: store}
	defer func() {
		if err != nil {
			a.detach()
		}
	}()
	defer tensor.Recover(&err) // runs first: a panic becomes err, then detach
	for _, nm := range targets {
		r, alpha := sel.rankAlpha(nm.Name)
		m, err := a.adapt(nm, r, alpha)
		if err != nil {
			return nil, err
		}
		a.modules = append(a.modules, m)
	}
	for _, m := range a.modules {
		m.hook.Adapter = m
	}
	if err := store.SetTrainable(func(name string) bool { return isLoRA(name) || a.saved(name) || a.trainsBias(name) }); err != nil {
		return nil, fmt.Errorf("lora: freeze base model: %w", err)
	}
	return a, nil
}

// saved reports whether a store variable belongs to one of ModulesToSave.
func (a *Adapter) saved(name string) bool {
	i := strings.LastIndexByte(name, '.')
	return i > 0 && a.Config.saved(name[:i])
}

// adapt creates the adapter tensors, of rank r, for one registered
// projection.
func (a *Adapter) adapt(nm nn.NamedModule, r int, alpha float64) (*module, error) {
	m := &module{name: nm.Name, adapter: a, scale: a.Config.scaling(r, alpha)}
	switch l := nm.Module.(type) {
	case *layers.Linear:
		m.weight, m.hook = l.Weight, l.Hook
	case *layers.Conv1D:
		m.weight, m.hook, m.conv = l.Weight, l.Hook, true
	default:
		return nil, fmt.Errorf("lora: module %s is a %T, want Linear or Conv1D", nm.Name, nm.Module)
	}
	if m.hook.Adapter != nil {
		return nil, fmt.Errorf("lora: module %s already has an adapter", nm.Name)
	}
	shape := tensor.Shape(m.weight)
	out, in := shape[0], shape[1]
	if m.conv {
		in, out = out, in
	}
	p := a.store.Root().Sub(nm.Name)
	// PEFT: kaiming_uniform_(lora_A, a=√5), i.e. bound 1/√in; lora_B zeros
	// so the adapted model starts equal to the base model.
	m.a = p.Sub("lora_A").Param("weight", []int64{int64(r), in}, nn.KaimingUniform(in))
	m.b = p.Sub("lora_B").Param("weight", []int64{out, int64(r)}, nn.Zeros())
	return m, nil
}

// isLoRA reports whether a store name is an adapter tensor.
func isLoRA(name string) bool {
	return strings.Contains(name, ".lora_A.") || strings.Contains(name, ".lora_B.")
}

func moduleNames(store *nn.Store) []string {
	var names []string
	for _, m := range store.Modules() {
		names = append(names, m.Name)
	}
	return names
}

// Modules returns the adapted module names in creation order.
func (a *Adapter) Modules() []string {
	names := make([]string, len(a.modules))
	for i, m := range a.modules {
		names[i] = m.name
	}
	return names
}

// Summary is PEFT's print_trainable_parameters line.
func (a *Adapter) Summary() string {
	total, trainable := a.store.NumParams()
	return fmt.Sprintf("trainable params: %s || all params: %s || trainable%%: %.4f",
		thousands(trainable), thousands(total), 100*float64(trainable)/float64(total))
}

// thousands formats n with comma separators, as Python's {:,d}.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Merge folds scaling · B·A into each base weight (transposed for Conv1D),
// then removes the adapters from the layers and the store: the model
// computes the same function with no LoRA tensors, and weights.Save writes
// a checkpoint transformers loads as the base architecture (PEFT's
// merge_and_unload). The base parameters stay frozen.
func (a *Adapter) Merge() (err error) {
	defer tensor.Recover(&err)
	tensor.Check(tensor.NoGrad(func() {
		for _, m := range a.modules {
			s := tensor.NewScope()
			d := s.T(m.b.Matmul(m.a, false)) // [out, in]
			if m.conv {
				d = s.T(d.T(false))
			}
			tensor.Check(m.weight.Add_(s.T(d.MulScalar(s.Float(m.scale), false))))
			s.Close()
		}
	}))
	a.detach()
	return nil
}

// detach removes the adapters from their layers and frees their tensors.
func (a *Adapter) detach() {
	for _, m := range a.modules {
		if m.hook.Adapter == layers.Adapter(m) {
			m.hook.Adapter = nil
		}
		a.store.Delete(m.name + ".lora_A.weight")
		a.store.Delete(m.name + ".lora_B.weight")
	}
	a.modules = nil
}
