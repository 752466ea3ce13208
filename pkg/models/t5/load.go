package t5

import (
	"fmt"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"path/filepath"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

func init() {
	for _, modelType := range []string{"t5", "mt5"} {
		models.Register(modelType, func(dir string, config []byte, o models.Options) (models.Model, error) {
			c, err := ParseConfig(config)
			if err != nil {
				return nil, fmt.Errorf("t5 config %s: %w", dir, err)
			}
			if a := o.Architecture; a != "" && a != "T5ForConditionalGeneration" && a != "MT5ForConditionalGeneration" {
				return nil, fmt.Errorf("t5 load %s: architecture %q is not supported", dir, a)
			}
			m, store, err := load(dir, c, o.Device, o.Partial)
			if err != nil {
				return nil, err
			}
			return &Loaded{Model: m, store: store}, nil
		})
	}
}

// Loaded is what models.Load returns for "t5" and "mt5".
type Loaded struct {
	Model *Model
	store *nn.Store
}

func (l *Loaded) Store() *nn.Store { return l.store }
func (l *Loaded) Config() any      { return &l.Model.Config }
func (l *Loaded) Close()           { l.store.Close() }

// Load reads dir/config.json and the checkpoint in dir into a new store on
// dev, strictly (see LoadOptions). The caller owns the store (Close).
func Load(dir string, dev gotch.Device) (*Model, *nn.Store, error) {
	c, err := ReadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	return load(dir, c, dev, false)
}

func load(dir string, c Config, dev gotch.Device, partial bool) (*Model, *nn.Store, error) {
	store := nn.NewStore(dev)
	m, err := New(store.Root(), c)
	if err == nil {
		opts := LoadOptions(c)
		opts.Partial = partial
		_, err = weights.Load(dir, store, opts)
	}
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("t5 load %s: %w", dir, err)
	}
	return m, store, nil
}

// Stepper drives generation for `gotrl generate` (encoder once, cached decoder).
func (l *Loaded) Stepper() generate.Stepper { return l.Model.Stepper() }
