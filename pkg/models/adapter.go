package models

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// AdapterConfigFile is PEFT's adapter config, which marks an adapter
// directory.
const AdapterConfigFile = "adapter_config.json"

// isAdapterDir reports whether dir holds a PEFT adapter and no model of
// its own (what PeftModel.save_pretrained and `gotrl sft --use-peft`
// write).
func isAdapterDir(dir string) bool {
	_, errA := os.Stat(filepath.Join(dir, AdapterConfigFile))
	_, errC := os.Stat(filepath.Join(dir, ConfigFile))
	return errA == nil && os.IsNotExist(errC)
}

// adapterBase reads the base model an adapter directory names.
func adapterBase(dir string) (string, error) {
	path := filepath.Join(dir, AdapterConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var c struct {
		Base string `json:"base_model_name_or_path"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return c.Base, nil
}

// AdapterLoader loads an adapter directory merged into its base model.
type AdapterLoader func(dir, base string, opts Options) (Model, error)

var adapterLoader AdapterLoader

// RegisterAdapters installs the adapter loader (package lora does, from
// init; pkg/models/all imports it), as Register does for a family.
func RegisterAdapters(load AdapterLoader) { adapterLoader = load }

// loadAdapter loads an adapter directory as transformers' AutoPeftModel
// does: its base model (adapter_config.json's base_model_name_or_path),
// then the adapter, merged into the base weights.
func loadAdapter(dir string, opts Options) (Model, error) {
	if adapterLoader == nil {
		return nil, fmt.Errorf("load %s: a PEFT adapter, and no adapter loader is registered (import pkg/models/lora)", dir)
	}
	base, err := adapterBase(dir)
	if err != nil {
		return nil, err
	}
	return adapterLoader(dir, base, opts)
}
