package bert

import (
	"fmt"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"path/filepath"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// architectures are the heads Load builds, by HF class name, with the
// checkpoint prefixes each skips as HF does (a BertForMaskedLM reading a
// BertForPreTraining file ignores the pooler and the NSP head).
var architectures = map[string]struct {
	build  func(*nn.Path, Config) (any, error)
	ignore []string
}{
	"BertModel": {func(p *nn.Path, c Config) (any, error) { return New(p.Sub("bert"), c, true) }, []string{"cls"}},
	"BertForMaskedLM": {func(p *nn.Path, c Config) (any, error) { return NewMaskedLM(p, c) },
		[]string{"bert.pooler", "cls.seq_relationship"}},
	"BertForPreTraining":            {func(p *nn.Path, c Config) (any, error) { return NewPreTraining(p, c) }, nil},
	"BertForSequenceClassification": {func(p *nn.Path, c Config) (any, error) { return NewSequenceClassification(p, c) }, nil},
}

// Loaded is a model read by Load: Head is *Model, *MaskedLM, *PreTraining
// or *SequenceClassification. It is what models.Load returns for "bert".
type Loaded struct {
	Head  any
	cfg   Config
	store *nn.Store
}

func (l *Loaded) Store() *nn.Store { return l.store }
func (l *Loaded) Config() any      { return &l.cfg }
func (l *Loaded) Close()           { l.store.Close() }

// Load builds architecture arch ("" = the config's first, else
// BertForMaskedLM, the UniLM case) on dev and reads the checkpoint in dir
// into it, strictly unless partial.
func Load(dir string, c Config, arch string, dev gotch.Device, partial bool) (*Loaded, error) {
	if arch == "" {
		arch = "BertForMaskedLM"
		if len(c.Architectures) > 0 {
			arch = c.Architectures[0]
		}
	}
	a, ok := architectures[arch]
	if !ok {
		return nil, fmt.Errorf("bert load %s: architecture %q is not supported", dir, arch)
	}
	store := nn.NewStore(dev)
	head, err := a.build(store.Root(), c)
	if err == nil {
		opts := LoadOptions(a.ignore...)
		opts.Partial = partial
		_, err = weights.Load(dir, store, opts)
	}
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("bert load %s: %w", dir, err)
	}
	return &Loaded{Head: head, cfg: c, store: store}, nil
}

// LoadMaskedLM reads BertForMaskedLM (or the MLM part of a
// BertForPreTraining file) with dir's config. The caller owns the store.
func LoadMaskedLM(dir string, dev gotch.Device) (*MaskedLM, *nn.Store, error) {
	return loadAs[*MaskedLM](dir, "BertForMaskedLM", dev)
}

// LoadPreTraining reads BertForPreTraining.
func LoadPreTraining(dir string, dev gotch.Device) (*PreTraining, *nn.Store, error) {
	return loadAs[*PreTraining](dir, "BertForPreTraining", dev)
}

// LoadSequenceClassification reads BertForSequenceClassification.
func LoadSequenceClassification(dir string, dev gotch.Device) (*SequenceClassification, *nn.Store, error) {
	return loadAs[*SequenceClassification](dir, "BertForSequenceClassification", dev)
}

func loadAs[M any](dir, arch string, dev gotch.Device) (M, *nn.Store, error) {
	var zero M
	c, err := ReadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return zero, nil, err
	}
	l, err := Load(dir, c, arch, dev, false)
	if err != nil {
		return zero, nil, err
	}
	return l.Head.(M), l.store, nil
}

// Stepper drives UniLM-style generation when the checkpoint is a masked LM;
// other BERT heads cannot generate (nil).
func (l *Loaded) Stepper() generate.Stepper {
	switch m := l.Head.(type) {
	case *MaskedLM:
		return m.Stepper()
	case *PreTraining:
		return m.MaskedLM.Stepper()
	}
	return nil
}
