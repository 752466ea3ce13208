package rlhf

import (
	"fmt"
	"slices"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/lora"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/train"
)

// PEFTConfig trains part of a model: LoRA adapters (TRL's ModelConfig
// names: use_peft, lora_r, …; PEFT's file layout), or the top layers only.
type PEFTConfig struct {
	UsePEFT bool     `yaml:"use_peft" help:"train LoRA adapters (PEFT) instead of the whole model; the run saves the adapter"`
	R       int      `yaml:"lora_r" help:"LoRA rank"`
	Alpha   float64  `yaml:"lora_alpha" help:"LoRA alpha (the update is scaled by alpha/r)"`
	Dropout float64  `yaml:"lora_dropout" help:"dropout on the LoRA input"`
	Targets []string `yaml:"lora_target_modules" help:"modules to adapt (default: PEFT's for the model type: c_attn for GPT-2, query,value for BERT, q,v for T5)"`
	RSLoRA  bool     `yaml:"use_rslora" help:"rank-stabilised LoRA: scale the update by alpha/sqrt(r) instead of alpha/r"`
	// FreezeExceptTop freezes every layer but the top N and the
	// embeddings (the book's partial fine-tuning); -1 trains all.
	FreezeExceptTop int `yaml:"freeze_layers_except_top" min:"-1" help:"train only the top N transformer layers (and what comes after them); -1 = all"`
}

// DefaultPEFT is TRL's ModelConfig defaults: off, r 16, alpha 32, dropout 0.05.
func DefaultPEFT() PEFTConfig {
	return PEFTConfig{R: 16, Alpha: 32, Dropout: 0.05, FreezeExceptTop: -1}
}

// Validate checks the settings that apply.
func (c PEFTConfig) Validate() error {
	if c.FreezeExceptTop < -1 {
		return fmt.Errorf("freeze_layers_except_top %d: want ≥ 0, or -1 for all layers", c.FreezeExceptTop)
	}
	if !c.UsePEFT {
		return nil
	}
	if c.FreezeExceptTop >= 0 {
		return fmt.Errorf("use_peft and freeze_layers_except_top: give one (LoRA already freezes the base model)")
	}
	return lora.Config{R: c.R, Alpha: c.Alpha, Dropout: c.Dropout, Targets: []string{"x"}}.Validate()
}

// ApplyPEFT is applyPEFT for PPO's policy.
func ApplyPEFT(c PEFTConfig, m models.Model, src models.Source, ckpt string, env train.Env, keep ...string) (*lora.Adapter, error) {
	return applyPEFT(c, m, src, peftCheckpoint(c, ckpt), env, keep...)
}

// taskType is PEFT's task_type for m (adapter_config.json): what a loader
// builds the base as before it applies the adapter.
func taskType(m models.Model) lora.TaskType {
	if lm, ok := m.(models.LM); ok {
		if lm.Kind() == models.Seq2Seq {
			return lora.TaskSeq2SeqLM
		}
		return lora.TaskCausalLM
	}
	return lora.TaskSeqCls
}

// applyPEFT freezes layers or adds LoRA adapters to m, loaded from src. A
// resumed run (ckpt set) reads its adapter from the checkpoint. keep are
// modules trained in full beside the adapters (a new head), when m has
// them. It returns the adapter (nil without LoRA).
func applyPEFT(c PEFTConfig, m models.Model, src models.Source, ckpt string, env train.Env, keep ...string) (*lora.Adapter, error) {
	store := m.Store()
	if c.FreezeExceptTop >= 0 {
		n, err := lora.FreezeAllButTopN(store, c.FreezeExceptTop)
		if err != nil {
			return nil, err
		}
		env.Logf("freeze: %d layers frozen, the top %d train\n", n, c.FreezeExceptTop)
		return nil, nil
	}
	if !c.UsePEFT {
		return nil, nil
	}
	if ckpt != "" {
		a, err := lora.Load(ckpt, store)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		return a, nil
	}
	targets := c.Targets
	if len(targets) == 0 {
		t, err := src.Type()
		if err != nil {
			return nil, err
		}
		if targets = lora.DefaultTargets[t]; len(targets) == 0 {
			return nil, fmt.Errorf("use_peft: no default lora_target_modules for model type %q: give --lora-target-modules", t)
		}
	}
	var save []string
	for _, k := range keep {
		if slices.ContainsFunc(store.Vars(), func(v *nn.Var) bool { return nn.Prefixed(v.Name, k) }) {
			save = append(save, k)
		}
	}
	a, err := lora.Apply(store, lora.Config{R: c.R, Alpha: c.Alpha, Dropout: c.Dropout, Targets: targets, ModulesToSave: save,
		TaskType: taskType(m), BaseModel: src.Init, RSLoRA: c.RSLoRA})
	if err != nil {
		return nil, err
	}
	env.Logf("peft: LoRA on %v; %s\n", targets, a.Summary())
	return a, nil
}

// tuning is what a stage keeps of its PEFT setup: the adapter, if any.
// Embedded in the stages, it saves the adapter instead of the model and
// turns the adapter's dropout on for training steps only.
type tuning struct {
	adapter *lora.Adapter
	// generation is the model directory whose generation defaults a saved
	// language model carries (generate.CarryDefaults); "" for classifiers.
	generation string
}

// save writes the adapter (PEFT layout) when there is one, else m with
// its generation defaults.
func (t tuning) save(m models.Model, dir string) error {
	if t.adapter != nil {
		return t.adapter.Save(dir)
	}
	if err := m.Save(dir); err != nil {
		return err
	}
	return generate.CarryDefaults(t.generation, dir)
}

// training sets the adapter's dropout for a training (true) or an
// evaluation pass.
func (t tuning) training(on bool) {
	if t.adapter != nil {
		t.adapter.Train = on
	}
}

// headModules are the classification and reward heads a LoRA run trains
// in full (GPT-2's score, BERT's classifier and pooler-side value head).
var headModules = []string{"score", "classifier", "v_head"}

// peftCheckpoint is the checkpoint a PEFT run reads its adapter from
// (none for other runs, whose checkpoint is their model).
func peftCheckpoint(c PEFTConfig, ckpt string) string {
	if c.UsePEFT {
		return ckpt
	}
	return ""
}
