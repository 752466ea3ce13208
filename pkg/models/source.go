package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// Source says where a stage's model comes from: a checkpoint directory
// (HF layout) to load, or a config.json to build a freshly initialised
// model from.
type Source struct {
	Init      string `yaml:"model_name_or_path" hub:"model" alias:"init,model"`
	Config    string `yaml:"config_name" alias:"model-config"`
	ModelType string `yaml:"model_type"`
}

// Validate requires exactly one of Init and Config.
func (s Source) Validate() error {
	if (s.Init == "") == (s.Config == "") {
		return errors.New("give exactly one of model_name_or_path (a checkpoint to start from) and config_name (a config.json for a fresh model)")
	}
	return nil
}

// Type is the model type the source's config names (the override first).
func (s Source) Type() (string, error) {
	path, err := s.configFile()
	if err != nil {
		return "", err
	}
	_, t, err := readConfigFile(path, s.ModelType)
	return t, err
}

// ProblemType is the problem_type the source's config names ("" when it
// names none): the loss transformers trains a sequence classifier with
// (single_label_classification, multi_label_classification, regression).
func (s Source) ProblemType() (string, error) {
	path, err := s.configFile()
	if err != nil {
		return "", err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read config: %w", err)
	}
	var c struct {
		ProblemType *string `json:"problem_type"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if c.ProblemType == nil {
		return "", nil
	}
	return *c.ProblemType, nil
}

// configFile is the config.json s reads: its checkpoint's (an adapter's
// base's), else its Config (a file, or a directory holding one).
func (s Source) configFile() (string, error) {
	if s.Init != "" {
		dir := s.Init
		if isAdapterDir(dir) {
			base, err := adapterBase(dir)
			if err != nil {
				return "", err
			}
			dir = base
		}
		return filepath.Join(dir, ConfigFile), nil
	}
	if st, err := os.Stat(s.Config); err == nil && st.IsDir() {
		return filepath.Join(s.Config, ConfigFile), nil
	}
	return s.Config, nil
}

// Open loads s.Init, or builds a fresh model from s.Config.
func (s Source) Open(opts Options) (Model, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.ModelType != "" {
		opts.ModelType = s.ModelType
	}
	if s.Init != "" {
		return Load(s.Init, opts)
	}
	return New(s.Config, opts)
}

// Fill reads dir's checkpoint into store after a family's loader has built
// its model there (and o.Extra's modules): nothing with o.Fresh; strictly
// unless o.Partial, except that o.Extra's tensors may be missing.
func Fill(dir string, store *nn.Store, lo weights.LoadOptions, o Options) error {
	if o.Fresh {
		return nil
	}
	lo.Partial = o.Partial || o.Extra != nil
	rep, err := weights.Load(dir, store, lo)
	if err != nil || o.Partial || o.Extra == nil {
		return err
	}
	var missing []string
	for _, m := range rep.Missing {
		if !nn.Prefixed(m.Name, o.Extra.Prefix) {
			missing = append(missing, m.String())
		}
	}
	if len(missing) > 0 || len(rep.Unexpected) > 0 {
		return fmt.Errorf("missing %v, unexpected %v", missing, rep.Unexpected)
	}
	return nil
}

// BuildExtra adds o.Extra's modules under the store root.
func BuildExtra(root *nn.Path, d Dims, o Options) error {
	if o.Extra == nil {
		return nil
	}
	return o.Extra.Build(root.Sub(o.Extra.Prefix), d)
}

// SaveHF writes dir/config.json — config with model_type and architectures
// set, so transformers' from_pretrained and Load pick the family and head
// — and dir/model.safetensors. Every model's Save goes through it.
func SaveHF(dir string, store *nn.Store, config any, modelType, arch string, opts weights.SaveOptions) error {
	b, err := json.Marshal(config)
	if err != nil {
		return fmt.Errorf("save %s: config: %w", dir, err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("save %s: config: %w", dir, err)
	}
	c["model_type"], c["architectures"] = modelType, []string{arch}
	return weights.Save(dir, store, c, opts)
}

// FixID applies Options.Tokens to one id of a family's config: *id becomes
// want when want is set and *id is unset (optional ids are nil) or outside
// [0, vocab).
func (o Options) FixID(name string, id *int64, want, vocab int64) {
	if want < 0 || (*id >= 0 && *id < vocab) {
		return
	}
	if o.Warn != nil {
		if *id < 0 {
			o.Warn(fmt.Sprintf("config.json has no %s: using the tokenizer's %d", name, want))
		} else {
			o.Warn(fmt.Sprintf("config.json's %s %d is outside the vocabulary of %d tokens: using the tokenizer's %d", name, *id, vocab, want))
		}
	}
	*id = want
}

// FixOptionalID is FixID for an id a config may leave out (null).
func (o Options) FixOptionalID(name string, id **int64, want, vocab int64) {
	v := int64(-1)
	if *id != nil {
		v = **id
	}
	o.FixID(name, &v, want, vocab)
	if v >= 0 {
		*id = &v
	}
}

// LabelCount is the number of classifier outputs as PretrainedConfig
// counts them from config.json: the size of id2label (which wins over a
// disagreeing num_labels), else num_labels, else 2.
func LabelCount(id2label map[string]string, numLabels int64) int64 {
	switch {
	case len(id2label) > 0:
		return int64(len(id2label))
	case numLabels > 0:
		return numLabels
	}
	return 2
}

// ID2Label is HF's default label map for n labels: {"0": "LABEL_0", …}.
func ID2Label(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprint(i)] = fmt.Sprintf("LABEL_%d", i)
	}
	return m
}
