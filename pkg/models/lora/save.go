package lora

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/sugarme/gotch"
)

// PEFT's file names and the prefix PeftModel puts before module names.
const (
	ConfigFile  = "adapter_config.json"
	WeightsFile = "adapter_model.safetensors"
	prefix      = "base_model.model."
)

// fileConfig is adapter_config.json: Config plus the keys PEFT writes
// that gotrl fixes (bias "none", no modules_to_save) and the variants it
// does not implement, which ReadConfig refuses rather than ignores.
type fileConfig struct {
	PeftType string `json:"peft_type"`
	Config
	Bias          string `json:"bias"`
	FanInFanOut   bool   `json:"fan_in_fan_out"`
	InferenceMode bool   `json:"inference_mode"`
	UseRSLoRA     bool   `json:"use_rslora,omitempty"`
	UseDoRA       bool   `json:"use_dora,omitempty"`
}

// check refuses the PEFT options Apply does not implement.
func (fc fileConfig) check() error {
	switch {
	case fc.PeftType != "LORA":
		return fmt.Errorf("peft_type %q, want \"LORA\"", fc.PeftType)
	case fc.Bias != "" && fc.Bias != "none":
		return fmt.Errorf("bias %q is not supported (want \"none\")", fc.Bias)
	case fc.UseRSLoRA || fc.UseDoRA:
		return fmt.Errorf("use_rslora and use_dora are not supported")
	}
	return fc.Config.Validate()
}

// tensors returns the adapter tensors, and those of ModulesToSave, under
// their PEFT names (get_peft_model_state_dict's: modules_to_save without
// its adapter name).
func (a *Adapter) tensors() map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for _, m := range a.modules {
		out[prefix+m.name+".lora_A.weight"] = m.a
		out[prefix+m.name+".lora_B.weight"] = m.b
	}
	for _, v := range a.store.Vars() {
		if !v.Buffer && a.saved(v.Name) {
			out[prefix+v.Name] = v.T
		}
	}
	return out
}

// Save writes dir/adapter_model.safetensors (the LoRA tensors only) and
// dir/adapter_config.json, as PeftModel.save_pretrained does.
func (a *Adapter) Save(dir string) error {
	if len(a.modules) == 0 {
		return fmt.Errorf("lora save %s: adapter has no modules (merged?)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lora save: %w", err)
	}
	fc := fileConfig{PeftType: "LORA", Config: a.Config, Bias: "none", InferenceMode: true}
	fc.FanInFanOut = slices.ContainsFunc(a.modules, func(m *module) bool { return m.conv })
	data, err := json.MarshalIndent(fc, "", "  ")
	if err != nil {
		return fmt.Errorf("lora save %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("lora save: %w", err)
	}
	if err := weights.SaveTensors(filepath.Join(dir, WeightsFile), a.tensors()); err != nil {
		return fmt.Errorf("lora save %s: %w", dir, err)
	}
	return nil
}

// ReadConfig reads dir/adapter_config.json.
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("lora: %w", err)
	}
	var fc fileConfig
	if err := json.Unmarshal(data, &fc); err != nil {
		return Config{}, fmt.Errorf("lora: %s: %w", path, err)
	}
	if err := fc.check(); err != nil {
		return Config{}, fmt.Errorf("lora: %s: %w", path, err)
	}
	return fc.Config, nil
}

// Load applies the adapter saved in dir to store and loads its tensors
// strictly: every adapter tensor present with its shape, nothing extra.
func Load(dir string, store *nn.Store) (_ *Adapter, err error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	a, err := Apply(store, cfg)
	if err != nil {
		return nil, fmt.Errorf("lora load %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			a.detach() // the base parameters stay frozen
		}
	}()
	path := filepath.Join(dir, WeightsFile)
	saved, err := weights.ReadTensors(path, store.Device())
	if err != nil {
		return nil, fmt.Errorf("lora load: %w", err)
	}
	defer func() {
		for _, t := range saved {
			tensor.Free(t)
		}
	}()
	want := a.tensors()
	var extra []string
	for name := range saved {
		// A head saved beside the adapter (modules_to_save) that the
		// loading model lacks is left out, as transformers leaves out a
		// PPO checkpoint's value head when it loads a plain LM.
		if want[name] == nil && !a.saved(strings.TrimPrefix(name, prefix)) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("lora load %s: unexpected tensors %s", path, strings.Join(extra, ", "))
	}
	for name, dst := range want {
		src := saved[name]
		if src == nil {
			return nil, fmt.Errorf("lora load %s: missing tensor %s", path, name)
		}
		if g, w := tensor.Shape(src), tensor.Shape(dst); !slices.Equal(g, w) {
			return nil, fmt.Errorf("lora load %s: %s has shape %v, want %v", path, name, g, w)
		}
		if err := tensor.CopyInto(dst, src); err != nil {
			return nil, fmt.Errorf("lora load %s: %s: %w", path, name, err)
		}
	}
	return a, nil
}

// SavedShapes reads the tensor shapes of dir's adapter file, keyed by
// module name (PEFT's base_model.model. prefix removed).
func SavedShapes(dir string) (map[string][]int64, error) {
	path := filepath.Join(dir, WeightsFile)
	ts, err := weights.ReadTensors(path, gotch.CPU)
	if err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	out := map[string][]int64{}
	for name, t := range ts {
		out[strings.TrimPrefix(name, prefix)] = tensor.Shape(t)
		tensor.Free(t)
	}
	return out, nil
}
