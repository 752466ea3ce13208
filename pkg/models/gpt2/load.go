package gpt2

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

func init() {
	models.Register("gpt2", func(dir string, config []byte, o models.Options) (models.Model, error) {
		c, err := ParseConfig(config, filepath.Join(dir, weights.ConfigFile))
		if err != nil {
			return nil, err
		}
		arch := o.Architecture
		if arch == "" && len(c.Architectures) > 0 {
			arch = c.Architectures[0]
		}
		switch arch {
		case "", "GPT2LMHeadModel", "GPT2Model":
			m, store, err := load(dir, c, o.Device, o.Partial, New)
			if err != nil {
				return nil, err
			}
			return &Loaded{Model: m, store: store}, nil
		case "GPT2ForSequenceClassification":
			m, store, err := load(dir, c, o.Device, o.Partial, NewClassifier)
			if err != nil {
				return nil, err
			}
			return &Loaded{Model: m.Model, Classifier: m, store: store}, nil
		}
		return nil, fmt.Errorf("gpt2 load %s: architecture %q is not supported (GPT2LMHeadModel, GPT2ForSequenceClassification)", dir, arch)
	})
}

// Loaded is what models.Load returns for "gpt2".
type Loaded struct {
	Model      *Model      // the transformer and its tied LM head
	Classifier *Classifier // set for GPT2ForSequenceClassification
	store      *nn.Store
}

func (l *Loaded) Store() *nn.Store { return l.store }
func (l *Loaded) Config() any      { return &l.Model.Config }
func (l *Loaded) Close()           { l.store.Close() }

// Load reads dir/config.json and the checkpoint in dir into a new store on
// dev, strictly (see LoadOptions). The caller owns the store (Close).
func Load(dir string, dev gotch.Device) (*Model, *nn.Store, error) {
	c, err := LoadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	return load(dir, c, dev, false, New)
}

// load builds a model with newModel in a new store and loads dir into it.
func load[M any](dir string, c Config, dev gotch.Device, partial bool, newModel func(*nn.Path, Config) (M, error)) (M, *nn.Store, error) {
	store := nn.NewStore(dev)
	m, err := newModel(store.Root(), c)
	if err == nil {
		opts := LoadOptions()
		opts.Partial = partial
		// A PPO policy checkpoint carries TRL's value head; an LM or
		// classifier loaded from it leaves the head out, as HF's
		// from_pretrained does (with a warning).
		opts.Rename = func(name string) (string, bool) {
			if strings.HasPrefix(name, "v_head.") {
				return "", false
			}
			return rename(name)
		}
		_, err = weights.Load(dir, store, opts)
	}
	if err != nil {
		store.Close()
		var zero M
		return zero, nil, fmt.Errorf("gpt2 load %s: %w", dir, err)
	}
	return m, store, nil
}

// Stepper lets `gotrl generate` drive a model loaded through models.Load.
func (l *Loaded) Stepper() generate.Stepper { return l.Model.Stepper() }
