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

func init() {
	for f := range flavors {
		models.Register(string(f), load)
	}
}

// Head roles this package builds: HF class names without the flavor's
// prefix (Config.Class adds it: BertForMaskedLM, RobertaForMaskedLM).
// archReward has no HF class: it is a BertModel (RobertaModel) file plus
// TRL's v_head.*, which `gotrl rm` writes.
const (
	archModel       = "Model"
	archMaskedLM    = ArchMaskedLM
	archPreTraining = "ForPreTraining"
	archClassifier  = "ForSequenceClassification"
	archReward      = "Model+v_head"
)

// ArchMaskedLM is the masked LM's role, for Config.Class.
const ArchMaskedLM = "ForMaskedLM"

// architectures are the heads Load builds, by role, with the checkpoint
// prefixes each skips as HF does (a BertForMaskedLM reading a
// BertForPreTraining file ignores the pooler and the NSP head). pooler
// says whether a bare encoder has one.
var architectures = map[string]struct {
	build  func(p *nn.Path, c Config, pooler bool) (any, error)
	ignore func(f flavorInfo) []string
}{
	archModel: {func(p *nn.Path, c Config, pooler bool) (any, error) { return New(p.Sub(c.info().base), c, pooler) },
		func(f flavorInfo) []string { return []string{f.head} }},
	archMaskedLM: {func(p *nn.Path, c Config, _ bool) (any, error) { return NewMaskedLM(p, c) },
		func(f flavorInfo) []string { return []string{f.base + ".pooler", "cls.seq_relationship"} }},
	archPreTraining: {func(p *nn.Path, c Config, _ bool) (any, error) { return NewPreTraining(p, c) }, nil},
	archClassifier: {func(p *nn.Path, c Config, _ bool) (any, error) { return NewSequenceClassification(p, c) },
		func(f flavorInfo) []string {
			if f.base == "roberta" { // RobertaForSequenceClassification has no pooler
				return []string{"roberta.pooler"}
			}
			return nil
		}},
	archReward: {func(p *nn.Path, c Config, _ bool) (any, error) { return NewReward(p, c) },
		func(f flavorInfo) []string { return []string{f.head} }},
}

// load is the family's models.Loader.
func load(dir string, raw []byte, o models.Options) (models.Model, error) {
	c, err := parseConfig(raw, Flavor(o.ModelType))
	if err != nil {
		return nil, fmt.Errorf("%s config %s: %w", o.ModelType, filepath.Join(dir, weights.ConfigFile), err)
	}
	arch, err := architecture(c, o)
	if err != nil {
		return nil, fmt.Errorf("%s load %s: %w", c.ModelType, filepath.Join(dir, weights.ConfigFile), err)
	}
	if t := o.Tokens; t != nil {
		if c.PadTokenID != nil { // null stays null, as in transformers
			o.FixID("pad_token_id", c.PadTokenID, t.Pad, c.VocabSize)
		}
	}
	if o.NumLabels > 0 {
		c.NumLabels, c.ID2Label = int64(o.NumLabels), models.ID2Label(o.NumLabels)
	}
	if o.Configure != nil {
		if err := o.Configure(&c); err != nil {
			return nil, fmt.Errorf("%s load %s: %w", c.ModelType, dir, err)
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
			return nil, fmt.Errorf("%s load %s: a reward model has one label, this classifier %d (score a classifier's class instead)", c.ModelType, dir, c.Labels())
		}
		return &SequenceClassifier{loaded: l}, nil
	}
	return l, nil
}

// architecture is the head role to build: Options.Architecture's, else
// the task's, else the config's first class's, else the masked LM (the
// UniLM case).
func architecture(c Config, o models.Options) (string, error) {
	first := ""
	if len(c.Architectures) > 0 {
		first = c.Architectures[0]
	}
	if o.Architecture != "" {
		r, err := c.role(o.Architecture)
		if err != nil {
			return "", fmt.Errorf("architecture %w", err)
		}
		return r, nil
	}
	if first != "" {
		var err error
		if first, err = c.role(first); err != nil && o.Task == "" {
			return "", fmt.Errorf("field %q: %w", "architectures", err)
		}
	}
	var arch string
	switch {
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
	return arch, nil
}

// build makes architecture arch in a new store on o.Device, adds o.Extra
// and reads dir's checkpoint into it.
func build(dir string, c Config, arch string, o models.Options) (*Loaded, error) {
	a := architectures[arch]
	pooler := true
	if c.roberta() && arch == archModel && !o.Fresh {
		var err error
		if pooler, err = hasPooler(dir, c); err != nil {
			return nil, fmt.Errorf("%s load %s: %w", c.ModelType, dir, err)
		}
	}
	var ignore []string
	if a.ignore != nil {
		ignore = a.ignore(c.info())
	}
	store := nn.NewStore(o.Device)
	head, err := a.build(store.Root(), c, pooler)
	if err == nil {
		err = models.BuildExtra(store.Root(), dims(c), o)
	}
	if err == nil {
		err = models.Fill(dir, store, LoadOptions(c, ignore...), o)
	}
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("%s load %s: %w", c.ModelType, dir, err)
	}
	return &Loaded{Head: head, cfg: c, arch: arch, store: store}, nil
}

func dims(c Config) models.Dims {
	return models.Dims{Vocab: c.VocabSize, Hidden: c.HiddenSize, MaxPositions: c.MaxTokens()}
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
// (a reward model as BertModel or RobertaModel, whose v_head.* rides along).
func (l *Loaded) Save(dir string) error {
	arch := l.arch
	if arch == archReward {
		arch = archModel
	}
	return models.SaveHF(dir, l.store, l.cfg, l.cfg.ModelType, l.cfg.Class(arch), saveOptions(l.cfg, arch))
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
	return models.Tokens{BOS: -1, EOS: -1, Pad: m.loaded.cfg.pad(), DecoderStart: -1}
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
// BertForPreTraining file), or RobertaForMaskedLM, with dir's config. The
// caller owns the store.
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
