package lora

import (
	"encoding/json"
	"fmt"
	"maps"
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
	// BinFile is the torch pickle PEFT writes with safe_serialization
	// off, read when there is no WeightsFile (as PeftModel does).
	BinFile = "adapter_model.bin"
	prefix  = "base_model.model."
)

// weightsPath is the adapter's weight file in dir.
func weightsPath(dir string) (string, error) {
	for _, name := range []string{WeightsFile, BinFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("lora: %s has neither %s nor %s", dir, WeightsFile, BinFile)
}

// heads are the modules a task adds (a classifier, TRL's value head): a
// saved one the loading model lacks is left out, as transformers leaves
// out a PPO checkpoint's value head when it loads a plain LM.
var heads = []string{"score", "classifier", "v_head"}

// tensors returns the adapter tensors, and those of ModulesToSave, under
// their PEFT names (get_peft_model_state_dict's: modules_to_save without
// its adapter name), and with bias "all" the base biases.
func (a *Adapter) tensors() map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for _, m := range a.modules {
		out[prefix+m.name+".lora_A.weight"] = m.a
		out[prefix+m.name+".lora_B.weight"] = m.b
	}
	for _, v := range a.store.Vars() {
		switch {
		case v.Buffer:
		case a.saved(v.Name):
			out[prefix+v.Name] = v.T
		case a.trainsBias(v.Name):
			out[a.biasKey(v.Name)] = v.T
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
	fc := newFileConfig(a.Config, slices.ContainsFunc(a.modules, func(m *module) bool { return m.conv }))
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

// Load applies the adapter saved in dir to store and loads its tensors
// strictly: every adapter tensor present with its shape, nothing extra.
func Load(dir string, store *nn.Store) (*Adapter, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	return load(dir, cfg, store)
}

// load is Load with dir's config already read (and completed).
func load(dir string, cfg Config, store *nn.Store) (_ *Adapter, err error) {
	if len(cfg.Targets) == 0 && cfg.TargetRegex == "" {
		return nil, fmt.Errorf("lora load: %s: target_modules is null: load the adapter with its base model (PEFT's default targets for the model type)",
			filepath.Join(dir, ConfigFile))
	}
	path, err := weightsPath(dir)
	if err != nil {
		return nil, err
	}
	a, err := apply(store, cfg, false)
	if err != nil {
		return nil, fmt.Errorf("lora load: %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	defer func() {
		if err != nil {
			a.detach() // the base parameters stay frozen
		}
	}()
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
		if want[name] == nil && !nn.Prefixed(strings.TrimPrefix(name, prefix), heads...) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("lora load %s: unexpected tensors %s", path, strings.Join(extra, ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(want)) { // the first bad tensor by name, the same every run
		dst, src := want[name], saved[name]
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
	path, err := weightsPath(dir)
	if err != nil {
		return nil, err
	}
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
