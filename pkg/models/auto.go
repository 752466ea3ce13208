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
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Model is what every family's loaded model offers the caller that does not
// know the family. Work that depends on what the model computes goes
// through the task interfaces (LM, Classifier), whose methods every family
// implements; nothing outside a family's package switches on the family.
type Model interface {
	Store() *nn.Store // the parameters, under their HF names
	Config() any      // the family's config struct (pointer)
	Save(dir string) error
	Close() // frees the model's tensors
}

// Options configure Load and New.
type Options struct {
	// Device holds the weights; the zero Device is the CPU.
	Device gotch.Device
	// ModelType overrides config.json's model_type (configs without one).
	ModelType string
	// Task picks the head by what the caller needs; Architecture, when
	// set, names it exactly (e.g. "GPT2LMHeadModel"). With neither, the
	// config's first architecture is built, else the family's default.
	Task         Task
	Architecture string
	// Partial loads checkpoints with missing or unexpected tensors and
	// leaves the missing ones at their initial values.
	Partial bool
	// Fresh builds the model with freshly initialised weights from the
	// config alone and reads no checkpoint (from_config). New sets it.
	Fresh bool
	// Configure edits the family's parsed config (a pointer to it) before
	// the model is built: a reward model sets num_labels and pad_token_id.
	Configure func(config any) error
	// Extra adds modules beside the model in its store before the
	// checkpoint is read, e.g. TRL's value head.
	Extra *Extra
	// NumLabels sets a classifier's number of labels (its config's
	// id2label), for a new head; 0 keeps the config's.
	NumLabels int
	// Tokens are the tokenizer's special ids (-1: none). A family uses
	// each where its config names no id or one outside the vocabulary (a
	// GPT-2 config's 50256 on the 21,128-token Chinese vocabulary) and
	// reports the change through Warn.
	Tokens *Tokens
	Warn   func(msg string)
	// Quantize packs the loaded model's projections for inference
	// (layers.Quantize), after any adapter is merged, heads tied to an
	// embedding included where the family lists them; "" and layers.None
	// leave them as stored.
	Quantize layers.Precision
}

// tiedHeads is what a loaded model implements when its LM head shares the
// embedding's weight, which the store does not list as a module.
type tiedHeads interface {
	TiedHeads() []*layers.Linear
}

// quantize applies opts.Quantize to a model just loaded from dir onto dev.
func quantize(dir string, m Model, p layers.Precision, dev gotch.Device) (Model, error) {
	if p.Resolve(dev) == layers.None {
		return m, nil
	}
	if err := Pack(m, p); err != nil {
		m.Close()
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return m, nil
}

// Pack packs m's projections for inference in p (layers.Quantize), the
// heads tied to an embedding included where the family lists them: its
// forward passes then run the packed copies whenever their input records
// no gradient. layers.None frees them; packing again after the weights
// changed repacks them.
func Pack(m Model, p layers.Precision) error {
	var heads []*layers.Linear
	if t, ok := m.(tiedHeads); ok {
		heads = t.TiedHeads()
	}
	return layers.Quantize(m.Store(), p, heads...)
}

// Extra is a module added under Prefix in a model's store (TRL's
// v_head.summary). A checkpoint may lack its tensors: they keep their
// fresh initialisation, as TRL's from_pretrained does.
type Extra struct {
	Prefix string
	Build  func(p *nn.Path, d Dims) error
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
	q := opts.Quantize
	opts.Quantize = "" // packed once, after an adapter's merge
	var m Model
	var err error
	if isAdapterDir(dir) {
		m, err = loadAdapter(dir, opts)
	} else {
		var raw []byte
		var modelType string
		if raw, modelType, err = ReadConfig(dir, opts.ModelType); err != nil {
			return nil, err
		}
		m, err = dispatch(dir, raw, modelType, opts)
	}
	if err != nil {
		return nil, err
	}
	return quantize(dir, m, q, opts.Device)
}

// New builds a model with fresh weights from a config.json (a file, or a
// directory holding one), as from_config does.
func New(config string, opts Options) (Model, error) {
	path := config
	if st, err := os.Stat(config); err == nil && st.IsDir() {
		path = filepath.Join(config, ConfigFile)
	}
	raw, modelType, err := readConfigFile(path, opts.ModelType)
	if err != nil {
		return nil, err
	}
	opts.Fresh = true
	return dispatch(filepath.Dir(path), raw, modelType, opts)
}

// dispatch is the one place that picks a family.
func dispatch(dir string, raw []byte, modelType string, opts Options) (Model, error) {
	if err := opts.Task.Validate(); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	mu.RLock()
	load, ok := loaders[modelType]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("load %s: model_type %q is not supported (supported: %s)", dir, modelType, strings.Join(Types(), ", "))
	}
	opts.ModelType = modelType
	if opts.Device == (gotch.Device{}) {
		opts.Device = gotch.CPU // gotch aborts the process on a zero Device
	}
	return load(dir, raw, opts)
}
