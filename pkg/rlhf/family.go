package rlhf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/t5"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// Source says where a stage's model comes from: a checkpoint directory
// (HF layout), or a config.json for a randomly initialized model.
type Source struct {
	Init      string `yaml:"init"`         // checkpoint directory
	Config    string `yaml:"model_config"` // config.json (file or directory) for random init
	ModelType string `yaml:"model_type"`   // overrides the config's model_type (UniLM configs lack one)
}

// Validate requires exactly one of Init and Config.
func (s Source) Validate() error {
	if (s.Init == "") == (s.Config == "") {
		return fmt.Errorf("give exactly one of init (a checkpoint directory) and model_config (a config.json for random init)")
	}
	return nil
}

// configPath is the config.json the model is built from.
func (s Source) configPath() string {
	p := s.Config
	if s.Init != "" {
		p = s.Init
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		p = filepath.Join(p, weights.ConfigFile)
	}
	return p
}

// readConfig returns the config bytes and the model type: the override, the
// file's model_type, or the family its first architecture names.
func (s Source) readConfig() ([]byte, string, error) {
	path := s.configPath()
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("model config: %w", err)
	}
	var h struct {
		ModelType     string   `json:"model_type"`
		Architectures []string `json:"architectures"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, "", fmt.Errorf("model config %s: %w", path, err)
	}
	switch {
	case s.ModelType != "":
		return raw, s.ModelType, nil
	case h.ModelType != "":
		return raw, h.ModelType, nil
	}
	return nil, "", fmt.Errorf("model config %s: no model_type: set model_type (bert for UniLM)", path)
}

// model is a built model with what the loop needs to save it.
type model struct {
	family string // model_type: gpt2, bert, t5
	arch   string // HF class written to config.json
	store  *nn.Store
	config any // the family's config, written as config.json
}

// Save writes config.json (with model_type and architectures, so
// transformers' from_pretrained reads it) and model.safetensors.
func (m *model) Save(dir string) error {
	b, err := json.Marshal(m.config)
	if err != nil {
		return err
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	c["model_type"], c["architectures"] = m.family, []string{m.arch}
	return weights.Save(dir, m.store, c, weights.SaveOptions{})
}

// load fills the store from s.Init; partial allows a new head (an RM
// initialized from an SFT checkpoint), reporting which tensors were new.
func (m *model) load(s Source, opts weights.LoadOptions, partial bool) error {
	if s.Init == "" {
		return nil
	}
	opts.Partial = partial
	_, err := weights.Load(s.Init, m.store, opts)
	return err
}

// build makes the store, lets f fill it, and frees it if f fails.
func build(dev gotch.Device, family, arch string, f func(m *model) error) (*model, error) {
	m := &model{family: family, arch: arch, store: nn.NewStore(dev)}
	if err := f(m); err != nil {
		m.store.Close()
		return nil, err
	}
	return m, nil
}

// newGPT2 builds GPT2LMHeadModel from s.
func newGPT2(s Source, raw []byte, dev gotch.Device) (*gpt2.Model, *model, error) {
	c, err := gpt2.ParseConfig(raw, s.configPath())
	if err != nil {
		return nil, nil, err
	}
	var g *gpt2.Model
	m, err := build(dev, "gpt2", "GPT2LMHeadModel", func(m *model) error {
		if g, err = gpt2.New(m.store.Root(), c); err != nil {
			return err
		}
		m.config = &g.Config
		return m.load(s, gpt2.LoadOptions(), false)
	})
	return g, m, err
}

// newBertMLM builds BertForMaskedLM from s.
func newBertMLM(s Source, raw []byte, dev gotch.Device) (*bert.MaskedLM, *model, error) {
	c, err := bert.ParseConfig(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("bert config %s: %w", s.configPath(), err)
	}
	var b *bert.MaskedLM
	m, err := build(dev, "bert", "BertForMaskedLM", func(m *model) error {
		m.config = &c
		if b, err = bert.NewMaskedLM(m.store.Root(), c); err != nil {
			return err
		}
		return m.load(s, bert.LoadOptions("bert.pooler", "cls.seq_relationship"), false)
	})
	return b, m, err
}

// newT5 builds T5ForConditionalGeneration from s.
func newT5(s Source, raw []byte, dev gotch.Device) (*t5.Model, *model, error) {
	c, err := t5.ParseConfig(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("t5 config %s: %w", s.configPath(), err)
	}
	var t *t5.Model
	m, err := build(dev, "t5", "T5ForConditionalGeneration", func(m *model) error {
		if t, err = t5.New(m.store.Root(), c); err != nil {
			return err
		}
		m.config = &t.Config
		if c.ModelType == "mt5" {
			m.family, m.arch = "mt5", "MT5ForConditionalGeneration"
		}
		return m.load(s, t5.LoadOptions(c), false)
	})
	return t, m, err
}
