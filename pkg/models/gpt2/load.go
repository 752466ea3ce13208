package gpt2

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

func init() { models.Register("gpt2", load) }

// HF class names this package builds.
const (
	archLM         = "GPT2LMHeadModel"
	archClassifier = "GPT2ForSequenceClassification"
)

// load is the family's models.Loader: GPT2LMHeadModel (TaskLM) or
// GPT2ForSequenceClassification (TaskClassifier; TaskReward with one label).
func load(dir string, raw []byte, o models.Options) (models.Model, error) {
	c, err := ParseConfig(raw, filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return nil, err
	}
	arch, err := architecture(c, o)
	if err != nil {
		return nil, fmt.Errorf("gpt2 load %s: %w", dir, err)
	}
	switch {
	case o.Task == models.TaskReward:
		c.ID2Label = models.ID2Label(1)
	case o.NumLabels > 0:
		c.ID2Label = models.ID2Label(o.NumLabels)
	}
	if t := o.Tokens; t != nil {
		o.FixOptionalID("bos_token_id", &c.BosTokenID, t.BOS, c.VocabSize)
		o.FixOptionalID("eos_token_id", &c.EosTokenID, t.EOS, c.VocabSize)
		o.FixOptionalID("pad_token_id", &c.PadTokenID, t.Pad, c.VocabSize)
	}
	if o.Configure != nil {
		if err := o.Configure(&c); err != nil {
			return nil, fmt.Errorf("gpt2 load %s: %w", dir, err)
		}
	}
	if arch == archClassifier {
		m, store, err := loadInto(dir, c, o, NewClassifier)
		if err != nil {
			return nil, err
		}
		return &SequenceClassifier{Classifier: m, store: store}, nil
	}
	m, store, err := loadInto(dir, c, o, New)
	if err != nil {
		return nil, err
	}
	return &CausalLM{Model: m, store: store}, nil
}

// architecture is the head to build: Options.Architecture, else the
// task's, else the config's first, else the LM.
func architecture(c Config, o models.Options) (string, error) {
	arch := o.Architecture
	switch {
	case arch != "":
	case o.Task == models.TaskLM:
		arch = archLM
	case o.Task == models.TaskClassifier || o.Task == models.TaskReward:
		arch = archClassifier
	case len(c.Architectures) > 0:
		arch = c.Architectures[0]
	default:
		arch = archLM
	}
	switch arch {
	case archLM, "GPT2Model":
		return archLM, nil
	case archClassifier:
		return arch, nil
	}
	return "", fmt.Errorf("architecture %q is not supported (%s, %s)", arch, archLM, archClassifier)
}

// loadInto makes a model with newModel in a new store, adds o.Extra and
// reads dir's checkpoint into it (models.Fill).
func loadInto[M any](dir string, c Config, o models.Options, newModel func(*nn.Path, Config) (M, error)) (M, *nn.Store, error) {
	store := nn.NewStore(o.Device)
	m, err := newModel(store.Root(), c)
	if err == nil {
		err = models.BuildExtra(store.Root(), dims(c), o)
	}
	if err == nil {
		opts := LoadOptions(c)
		// A PPO policy checkpoint carries TRL's value head; a model loaded
		// from it without one leaves the head out, as HF's from_pretrained
		// does (with a warning).
		keepValue := o.Extra != nil && o.Extra.Prefix == "v_head"
		opts.Rename = func(name string) (string, bool) {
			if strings.HasPrefix(name, "v_head.") && !keepValue {
				return "", false
			}
			return rename(name)
		}
		err = models.Fill(dir, store, opts, o)
	}
	if err != nil {
		store.Close()
		var zero M
		return zero, nil, fmt.Errorf("gpt2 load %s: %w", dir, err)
	}
	return m, store, nil
}

// Load reads dir/config.json and the checkpoint in dir into a new store on
// dev, strictly (see LoadOptions). The caller owns the store (Close).
func Load(dir string, dev gotch.Device) (*Model, *nn.Store, error) {
	c, err := LoadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	return loadInto(dir, c, models.Options{Device: dev}, New)
}

func dims(c Config) models.Dims {
	return models.Dims{Vocab: c.VocabSize, Hidden: c.NEmbd, MaxPositions: c.NPositions}
}

// CausalLM is GPT2LMHeadModel as a models.LM, with the store it owns.
type CausalLM struct {
	*Model
	store *nn.Store
}

var _ models.LM = (*CausalLM)(nil)

// NewCausalLM wraps a model built in store (tests, benchmarks); Close
// frees the store.
func NewCausalLM(m *Model, store *nn.Store) *CausalLM { return &CausalLM{Model: m, store: store} }

func (l *CausalLM) Store() *nn.Store    { return l.store }
func (l *CausalLM) Config() any         { return &l.Model.Config }
func (l *CausalLM) Close()              { l.store.Close() }
func (l *CausalLM) Kind() models.LMKind { return models.Causal }
func (l *CausalLM) Dims() models.Dims   { return dims(l.Model.Config) }
func (l *CausalLM) Tokens() models.Tokens {
	c := l.Model.Config
	return models.Tokens{BOS: idOr(c.BosTokenID), EOS: idOr(c.EosTokenID), Pad: idOr(c.PadTokenID), DecoderStart: -1}
}

// Save writes config.json and model.safetensors, the tied lm_head left
// out as save_pretrained does.
func (l *CausalLM) Save(dir string) error {
	return models.SaveHF(dir, l.store, l.Model.Config, "gpt2", archLM, weights.SaveOptions{Tied: LoadOptions(l.Model.Config).Tied})
}

// Forward runs the transformer and the LM head; with in.LogitsFrom or
// in.LogitsTo the head runs only on positions [LogitsFrom, LogitsTo). No
// position ids are passed: HF then counts from 0, as TRL's
// batched_forward_pass and run_clm do.
func (l *CausalLM) Forward(in models.Input, train bool) (out models.Output, err error) {
	window := (in.LogitsFrom > 0 || in.LogitsTo > 0) && !in.SkipLogits
	if window {
		t := tensor.Shape(in.IDs)[1]
		if to := cmp.Or(in.LogitsTo, t); in.LogitsFrom < 0 || in.LogitsFrom >= to || to > t {
			return models.Output{}, fmt.Errorf("gpt2 forward: logits window [%d, %d) is not within the %d positions", in.LogitsFrom, to, t)
		}
	}
	o, err := l.Model.Forward(Input{IDs: in.IDs, Mask: in.Mask, SkipLogits: in.SkipLogits || window}, train)
	if err != nil {
		return models.Output{}, err
	}
	out = models.Output{Logits: o.Logits, Hidden: o.Hidden}
	if window {
		if out.Logits, err = l.windowLogits(o.Hidden, in.LogitsFrom, in.LogitsTo); err != nil {
			out.Close()
			return models.Output{}, err
		}
	}
	return out, nil
}

// windowLogits applies the LM head to hidden [B, T, C] at positions
// [from, to) (to = 0: T): [B, to-from, V].
func (l *CausalLM) windowLogits(hidden *tensor.Tensor, from, to int64) (logits *tensor.Tensor, err error) {
	defer tensor.Recover(&err)
	s := tensor.NewScope()
	defer s.Close()
	to = cmp.Or(to, tensor.Shape(hidden)[1])
	return l.LM.Forward(s.T(hidden.Narrow(1, from, to-from, false))), nil
}

// Stepper drives generation (cached).
func (l *CausalLM) Stepper() generate.Stepper { return l.Model.Stepper() }

// TiedHeads lists the LM head when it shares wte's weight, so that
// models.Load's Quantize packs it (the store lists only lm_head of untied
// models).
func (l *CausalLM) TiedHeads() []*layers.Linear {
	if !l.Model.Config.Tied() {
		return nil
	}
	return []*layers.Linear{&l.Model.LM.Linear}
}

// SequenceClassifier is GPT2ForSequenceClassification as a
// models.Classifier, with the store it owns.
type SequenceClassifier struct {
	*Classifier
	store *nn.Store
}

var _ models.Classifier = (*SequenceClassifier)(nil)

func (l *SequenceClassifier) Store() *nn.Store  { return l.store }
func (l *SequenceClassifier) Config() any       { return &l.Classifier.Config }
func (l *SequenceClassifier) Close()            { l.store.Close() }
func (l *SequenceClassifier) NumLabels() int    { return int(l.Classifier.Config.NumLabels()) }
func (l *SequenceClassifier) Dims() models.Dims { return dims(l.Classifier.Config) }

// Save writes config.json and model.safetensors.
func (l *SequenceClassifier) Save(dir string) error {
	return models.SaveHF(dir, l.store, l.Classifier.Config, "gpt2", archClassifier, weights.SaveOptions{})
}

// Classify returns the logits [B, labels] at each row's last token.
func (l *SequenceClassifier) Classify(in models.Input, train bool) (*tensor.Tensor, error) {
	out, err := l.Classifier.Forward(Input{IDs: in.IDs, Mask: in.Mask}, train)
	if err != nil {
		return nil, err
	}
	lg := out.Logits
	out.Logits = nil
	out.Close()
	return lg, nil
}

func idOr(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
