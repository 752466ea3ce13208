package models

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/pkg/models/lora"
)

// isAdapterDir reports whether dir holds a PEFT adapter and no model of
// its own (what PeftModel.save_pretrained and `gotrl sft --use-peft`
// write).
func isAdapterDir(dir string) bool {
	_, errA := os.Stat(filepath.Join(dir, lora.ConfigFile))
	_, errC := os.Stat(filepath.Join(dir, ConfigFile))
	return errA == nil && os.IsNotExist(errC)
}

// loadAdapter loads an adapter directory as transformers' AutoPeftModel
// does: its base model (adapter_config.json's base_model_name_or_path),
// then the adapter, merged into the base weights so the model computes
// base + adapter with no LoRA tensors left.
func loadAdapter(dir string, opts Options) (Model, error) {
	c, err := lora.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	return LoadAdapter(dir, c.BaseModel, opts)
}

// LoadAdapter loads base and merges the adapter in dir into it (gotrl
// merge-adapter; Load does this for an adapter directory, with the base it
// names).
func LoadAdapter(dir, base string, opts Options) (Model, error) {
	c, err := lora.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	c.BaseModel = base
	if c.BaseModel == "" {
		return nil, fmt.Errorf("load %s: a PEFT adapter without base_model_name_or_path: merge it with `gotrl merge-adapter --model-name-or-path BASE --adapter %s`", dir, dir)
	}
	if _, err := os.Stat(c.BaseModel); err != nil {
		return nil, fmt.Errorf("load %s: the adapter's base model %s: %w (a hub id: fetch it with `gotrl download`)", dir, c.BaseModel, err)
	}
	// A classification or reward adapter carries its head
	// (modules_to_save): build the base with a head of that size, which
	// the adapter then fills.
	if c.TaskType == "SEQ_CLS" && opts.Task != TaskLM {
		heads, err := lora.SavedShapes(dir)
		if err != nil {
			return nil, err
		}
		for name, shape := range heads {
			switch {
			case strings.HasSuffix(name, "score.weight"), strings.HasSuffix(name, "classifier.weight"):
				opts.Task, opts.NumLabels, opts.Partial = TaskClassifier, int(shape[0]), true
			case strings.HasSuffix(name, "v_head.summary.weight"):
				opts.Task, opts.Partial = TaskReward, true
			}
		}
	}
	m, err := Load(c.BaseModel, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: base model: %w", dir, err)
	}
	a, err := lora.Load(dir, m.Store())
	if err == nil {
		err = a.Merge()
	}
	if err == nil { // the merged model trains in full, as a plain checkpoint would
		err = m.Store().SetTrainable(func(string) bool { return true })
	}
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return m, nil
}
