package bert

import (
	"fmt"
	"path/filepath"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

func init() { models.Register("bert", load) }

// HF class names this package builds. archReward has no HF class: it is
// a BertModel file plus TRL's v_head.*, which `gotrl rm` writes.
const (
	archModel       = "BertModel"
	archMaskedLM    = "BertForMaskedLM"
	archPreTraining = "BertForPreTraining"
	archClassifier  = "BertForSequenceClassification"
	archReward      = "BertModel+v_head"
)

// architectures are the heads Load builds, by HF class name, with the
// checkpoint prefixes each skips as HF does (a BertForMaskedLM reading a
// BertForPreTraining file ignores the pooler and the NSP head).
var architectures = map[string]struct {
	build  func(*nn.Path, Config) (any, error)
	ignore []string
}{
	archModel: {func(p *nn.Path, c Config) (any, error) { return New(p.Sub("bert"), c, true) }, []string{"cls"}},
	archMaskedLM: {func(p *nn.Path, c Config) (any, error) { return NewMaskedLM(p, c) },
		[]string{"bert.pooler", "cls.seq_relationship"}},
	archPreTraining: {func(p *nn.Path, c Config) (any, error) { return NewPreTraining(p, c) }, nil},
	archClassifier:  {func(p *nn.Path, c Config) (any, error) { return NewSequenceClassification(p, c) }, nil},
	archReward:      {func(p *nn.Path, c Config) (any, error) { return NewReward(p, c) }, []string{"cls"}},
}

// load is the family's models.Loader.
func load(dir string, raw []byte, o models.Options) (models.Model, error) {
	c, err := ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("bert config %s: %w", filepath.Join(dir, weights.ConfigFile), err)
	}
	arch, err := architecture(c, o)
	if err != nil {
		return nil, fmt.Errorf("bert load %s: %w", dir, err)
	}
	if t := o.Tokens; t != nil {
		o.FixID("pad_token_id", &c.PadTokenID, t.Pad, c.VocabSize)
	}
	if o.NumLabels > 0 {
		c.NumLabels, c.ID2Label = int64(o.NumLabels), models.ID2Label(o.NumLabels)
	}
	if o.Configure != nil {
		if err := o.Configure(&c); err != nil {
			return nil, fmt.Errorf("bert load %s: %w", dir, err)
		}
	}
	l, err := build(dir, c, arch, o)
	if err != nil {
		return nil, err
	}
	switch h := l.Head.(type) {
	case *MaskedLM:
		return &MLM{MaskedLM: h, loaded: l}, nil
	case *SequenceClassification, *Reward:
		if o.Task == models.TaskReward && c.Labels() != 1 && arch == archClassifier {
			l.Close()
			return nil, fmt.Errorf("bert load %s: a reward model has one label, this classifier %d (score a classifier's class instead)", dir, c.Labels())
		}
		return &SequenceClassifier{loaded: l}, nil
	}
	return l, nil
}

// architecture is the head to build: Options.Architecture, else the
// task's, else the config's first, else BertForMaskedLM (the UniLM case).
func architecture(c Config, o models.Options) (string, error) {
	first := ""
	if len(c.Architectures) > 0 {
		first = c.Architectures[0]
	}
	arch := o.Architecture
	switch {
	case arch != "":
	case o.Task == models.TaskLM:
		arch = archMaskedLM
	case o.Task == models.TaskClassifier:
		arch = archClassifier
	case o.Task == models.TaskReward && first == archClassifier:
		arch = archClassifier
	case o.Task == models.TaskReward:
		arch = archReward
	case first != "":
		arch = first
	default:
		arch = archMaskedLM
	}
	if _, ok := architectures[arch]; !ok {
		return "", fmt.Errorf("architecture %q is not supported", arch)
	}
	return arch, nil
}

// build makes architecture arch in a new store on o.Device, adds o.Extra
// and reads dir's checkpoint into it.
func build(dir string, c Config, arch string, o models.Options) (*Loaded, error) {
	a := architectures[arch]
	store := nn.NewStore(o.Device)
	head, err := a.build(store.Root(), c)
	if err == nil {
		err = models.BuildExtra(store.Root(), dims(c), o)
	}
	if err == nil {
		err = models.Fill(dir, store, LoadOptions(c, a.ignore...), o)
	}
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("bert load %s: %w", dir, err)
	}
	return &Loaded{Head: head, cfg: c, arch: arch, store: store}, nil
}

func dims(c Config) models.Dims {
	return models.Dims{Vocab: c.VocabSize, Hidden: c.HiddenSize, MaxPositions: c.MaxPositionEmbeddings}
}

// Loaded is a model read by models.Load whose head has no task interface:
// Head is *Model or *PreTraining. Masked LMs come back as *MLM and
// classifiers as *SequenceClassifier.
type Loaded struct {
	Head  any
	cfg   Config
	arch  string
	store *nn.Store
}

func (l *Loaded) Store() *nn.Store { return l.store }
func (l *Loaded) Config() any      { return &l.cfg }
func (l *Loaded) Close()           { l.store.Close() }

// Save writes config.json and model.safetensors under the head's HF class
// (a reward model as BertModel, whose v_head.* rides along).
func (l *Loaded) Save(dir string) error {
	arch := l.arch
	if arch == archReward {
		arch = archModel
	}
	return models.SaveHF(dir, l.store, l.cfg, "bert", arch, weights.SaveOptions{})
}

// MLM is BertForMaskedLM as a models.LM (also UniLM's generator).
type MLM struct {
	*MaskedLM
	loaded *Loaded
}

var _ models.LM = (*MLM)(nil)

func (m *MLM) Store() *nn.Store      { return m.loaded.store }
func (m *MLM) Config() any           { return &m.loaded.cfg }
func (m *MLM) Close()                { m.loaded.Close() }
func (m *MLM) Save(dir string) error { return m.loaded.Save(dir) }
func (m *MLM) Kind() models.LMKind   { return models.Masked }
func (m *MLM) Dims() models.Dims     { return dims(m.loaded.cfg) }
func (m *MLM) Tokens() models.Tokens {
	return models.Tokens{BOS: -1, EOS: -1, Pad: m.loaded.cfg.PadTokenID, DecoderStart: -1}
}

// Forward runs BertForMaskedLM: logits [B, T, V] at every position.
func (m *MLM) Forward(in models.Input, train bool) (models.Output, error) {
	o, err := m.MaskedLM.Forward(Input{IDs: in.IDs, TypeIDs: in.TypeIDs, Mask: in.Mask}, train)
	if err != nil {
		return models.Output{}, err
	}
	out := models.Output{Logits: o.Logits, Hidden: o.Hidden}
	o.Logits, o.Hidden = nil, nil
	o.Close()
	if in.SkipLogits {
		tensor.Free(out.Logits)
		out.Logits = nil
	}
	return out, nil
}

// Stepper drives UniLM-style generation.
func (m *MLM) Stepper() generate.Stepper { return m.MaskedLM.Stepper() }

// SequenceClassifier is BertForSequenceClassification, or the reward model
// (value head on [CLS]), as a models.Classifier.
type SequenceClassifier struct {
	loaded *Loaded
}

var _ models.Classifier = (*SequenceClassifier)(nil)

func (m *SequenceClassifier) Store() *nn.Store      { return m.loaded.store }
func (m *SequenceClassifier) Config() any           { return &m.loaded.cfg }
func (m *SequenceClassifier) Close()                { m.loaded.Close() }
func (m *SequenceClassifier) Save(dir string) error { return m.loaded.Save(dir) }
func (m *SequenceClassifier) Dims() models.Dims     { return dims(m.loaded.cfg) }

// NumLabels is 1 for a reward model.
func (m *SequenceClassifier) NumLabels() int {
	if _, ok := m.loaded.Head.(*Reward); ok {
		return 1
	}
	return int(m.loaded.cfg.Labels())
}

// Classify returns logits [B, labels] at [CLS].
func (m *SequenceClassifier) Classify(in models.Input, train bool) (logits *tensor.Tensor, err error) {
	bin := Input{IDs: in.IDs, TypeIDs: in.TypeIDs, Mask: in.Mask}
	var o *Output
	switch h := m.loaded.Head.(type) {
	case *Reward:
		o, err = h.Forward(bin, train)
	case *SequenceClassification:
		o, err = h.Forward(bin, train)
	}
	if err != nil {
		return nil, err
	}
	logits = o.Logits
	o.Logits = nil
	o.Close()
	if logits.Dim() == 1 { // the reward head's [B]
		defer tensor.Free(logits)
		return logits.Unsqueeze(1, false)
	}
	return logits, nil
}

// LoadMaskedLM reads BertForMaskedLM (or the MLM part of a
// BertForPreTraining file) with dir's config. The caller owns the store.
func LoadMaskedLM(dir string, dev gotch.Device) (*MaskedLM, *nn.Store, error) {
	return loadAs[*MaskedLM](dir, archMaskedLM, dev)
}

// LoadPreTraining reads BertForPreTraining.
func LoadPreTraining(dir string, dev gotch.Device) (*PreTraining, *nn.Store, error) {
	return loadAs[*PreTraining](dir, archPreTraining, dev)
}

// LoadSequenceClassification reads BertForSequenceClassification.
func LoadSequenceClassification(dir string, dev gotch.Device) (*SequenceClassification, *nn.Store, error) {
	return loadAs[*SequenceClassification](dir, archClassifier, dev)
}

func loadAs[M any](dir, arch string, dev gotch.Device) (M, *nn.Store, error) {
	var zero M
	c, err := ReadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return zero, nil, err
	}
	l, err := build(dir, c, arch, models.Options{Device: dev})
	if err != nil {
		return zero, nil, err
	}
	return l.Head.(M), l.store, nil
}
