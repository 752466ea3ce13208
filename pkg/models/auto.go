// Package models picks a model family from a checkpoint's config.json, as
// transformers' AutoModel does. Families register themselves from init();
// a binary blank-imports the families it supports:
//
//	import _ "github.com/gotrl/gotrl/pkg/models/gpt2"
//
//	m, err := models.Load("testdata/models/gpt2", models.Options{Device: gotch.CPU})
//
// This package imports no family, so families can import weights and nn
// without a cycle.
package models

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Model is what every family's loaded model offers the caller that does not
// know the family. Family-specific work (Forward, generation) goes through
// a type assertion or the generate package's interfaces.
type Model interface {
	Store() *nn.Store // the parameters, under their HF names
	Config() any      // the family's config struct (pointer)
	Close()           // frees the model's tensors
}

// Options configure Load.
type Options struct {
	Device gotch.Device
	// ModelType overrides config.json's model_type (configs without one).
	ModelType string
	// Architecture picks the head (e.g. "GPT2LMHeadModel"); "" means the
	// config's first architecture, else the family's default.
	Architecture string
	// Partial loads checkpoints with missing or unexpected tensors and
	// leaves the missing ones at their initial values.
	Partial bool
}

// Loader builds a model from its directory and config.json bytes.
type Loader func(dir string, config []byte, opts Options) (Model, error)

var (
	mu      sync.RWMutex
	loaders = map[string]Loader{}
)

// Register makes a family's loader available under model_type name. It is
// meant for init() and panics on a duplicate, as database/sql.Register does.
func Register(modelType string, load Loader) {
	mu.Lock()
	defer mu.Unlock()
	if load == nil {
		panic("models: Register loader is nil")
	}
	if _, dup := loaders[modelType]; dup {
		panic("models: Register called twice for " + modelType)
	}
	loaders[modelType] = load
}

// Types returns the registered model types, sorted.
func Types() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(loaders))
	for t := range loaders {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Load reads dir/config.json, picks the registered family for its model
// type and lets it build the model and load its weights.
func Load(dir string, opts Options) (Model, error) {
	raw, modelType, err := ReadConfig(dir, opts.ModelType)
	if err != nil {
		return nil, err
	}
	mu.RLock()
	load, ok := loaders[modelType]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("load %s: model_type %q is not supported (supported: %s)", dir, modelType, strings.Join(Types(), ", "))
	}
	opts.ModelType = modelType
	return load(dir, raw, opts)
}
