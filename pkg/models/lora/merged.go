package lora

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/pkg/models"
)

func init() { models.RegisterAdapters(LoadMerged) }

// LoadMerged loads base and merges the adapter in dir into it: the model
// computes base + adapter with no LoRA tensors left, and trains in full as
// a plain checkpoint would (models.Load does this for an adapter
// directory; gotrl merge-adapter saves the result). A classification or
// reward adapter carries its head (modules_to_save): the base is built with
// a head of that size, which the adapter fills.
func LoadMerged(dir, base string, opts models.Options) (models.Model, error) {
	c, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	if base == "" {
		return nil, fmt.Errorf("load %s: a PEFT adapter without base_model_name_or_path: give the base (gotrl merge-adapter --model-name-or-path BASE --adapter %s)", dir, dir)
	}
	if _, err := os.Stat(base); err != nil {
		return nil, fmt.Errorf("load %s: the adapter's base model %s: %w (a hub id: fetch it with `gotrl download`)", dir, base, err)
	}
	if len(c.Targets) == 0 && c.TargetRegex == "" {
		// target_modules null: PEFT adapts its default modules for the
		// base's model type (_prepare_adapter_config).
		t, err := models.Source{Init: base, ModelType: opts.ModelType}.Type()
		if err != nil {
			return nil, fmt.Errorf("load %s: base model: %w", dir, err)
		}
		if c.Targets = DefaultTargets[t]; len(c.Targets) == 0 {
			return nil, fmt.Errorf("load %s: %s: target_modules is null and peft has no default for model type %q",
				dir, filepath.Join(dir, ConfigFile), t)
		}
	}
	if c.TaskType == TaskSeqCls && opts.Task != models.TaskLM {
		heads, err := SavedShapes(dir)
		if err != nil {
			return nil, err
		}
		for name, shape := range heads {
			switch {
			case strings.HasSuffix(name, "score.weight"), strings.HasSuffix(name, "classifier.weight"):
				opts.Task, opts.NumLabels, opts.Partial = models.TaskClassifier, int(shape[0]), true
			case strings.HasSuffix(name, "v_head.summary.weight"):
				opts.Task, opts.Partial = models.TaskReward, true
			}
		}
	}
	m, err := models.Load(base, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: base model: %w", dir, err)
	}
	a, err := load(dir, c, m.Store())
	if err == nil {
		err = a.Merge()
	}
	if err == nil {
		err = m.Store().SetTrainable(func(string) bool { return true })
	}
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return m, nil
}
