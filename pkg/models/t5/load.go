package t5

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
	models.Register("t5", load)
	models.Register("mt5", load)
}

// load is the family's models.Loader: T5ForConditionalGeneration (or
// MT5ForConditionalGeneration), the only head gotrl builds for T5.
func load(dir string, raw []byte, o models.Options) (models.Model, error) {
	c, err := ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("t5 config %s: %w", filepath.Join(dir, weights.ConfigFile), err)
	}
	if o.Task != "" && o.Task != models.TaskLM {
		return nil, fmt.Errorf("t5 load %s: task %q is not supported (T5 is a seq2seq LM here)", dir, o.Task)
	}
	if a := o.Architecture; a != "" && a != "T5ForConditionalGeneration" && a != "MT5ForConditionalGeneration" {
		return nil, fmt.Errorf("t5 load %s: architecture %q is not supported", dir, a)
	}
	if t := o.Tokens; t != nil {
		o.FixID("pad_token_id", &c.PadTokenID, t.Pad, c.VocabSize)
		o.FixID("eos_token_id", &c.EOSTokenID, t.EOS, c.VocabSize)
	}
	if o.Configure != nil {
		if err := o.Configure(&c); err != nil {
			return nil, fmt.Errorf("t5 load %s: %w", dir, err)
		}
	}
	m, store, err := build(dir, c, o)
	if err != nil {
		return nil, err
	}
	return &Seq2SeqLM{Model: m, store: store}, nil
}

// Load reads dir/config.json and the checkpoint in dir into a new store on
// dev, strictly (see LoadOptions). The caller owns the store (Close).
func Load(dir string, dev gotch.Device) (*Model, *nn.Store, error) {
	c, err := ReadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	return build(dir, c, models.Options{Device: dev})
}

func build(dir string, c Config, o models.Options) (*Model, *nn.Store, error) {
	store := nn.NewStore(o.Device)
	m, err := New(store.Root(), c)
	if err == nil {
		err = models.BuildExtra(store.Root(), dims(c), o)
	}
	if err == nil {
		err = models.Fill(dir, store, LoadOptions(c), o)
	}
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("t5 load %s: %w", dir, err)
	}
	return m, store, nil
}

func dims(c Config) models.Dims { return models.Dims{Vocab: c.VocabSize, Hidden: c.DModel} }

// Seq2SeqLM is T5ForConditionalGeneration as a models.LM.
type Seq2SeqLM struct {
	*Model
	store *nn.Store
}

var _ models.LM = (*Seq2SeqLM)(nil)

// NewSeq2SeqLM wraps a model built in store (tests, benchmarks); Close
// frees the store.
func NewSeq2SeqLM(m *Model, store *nn.Store) *Seq2SeqLM { return &Seq2SeqLM{Model: m, store: store} }

func (l *Seq2SeqLM) Store() *nn.Store    { return l.store }
func (l *Seq2SeqLM) Config() any         { return &l.Model.Config }
func (l *Seq2SeqLM) Close()              { l.store.Close() }
func (l *Seq2SeqLM) Kind() models.LMKind { return models.Seq2Seq }
func (l *Seq2SeqLM) Dims() models.Dims   { return dims(l.Model.Config) }
func (l *Seq2SeqLM) Tokens() models.Tokens {
	c := l.Model.Config
	return models.Tokens{BOS: -1, EOS: c.EOSTokenID, Pad: c.PadTokenID, DecoderStart: c.DecoderStart()}
}

// Save writes config.json and model.safetensors (tied copies left out).
func (l *Seq2SeqLM) Save(dir string) error {
	c := l.Model.Config
	modelType, arch := "t5", "T5ForConditionalGeneration"
	if c.ModelType == "mt5" {
		modelType, arch = "mt5", "MT5ForConditionalGeneration"
	}
	return models.SaveHF(dir, l.store, c, modelType, arch, weights.SaveOptions{Tied: LoadOptions(c).Tied})
}

// Forward runs the encoder on IDs/Mask and the decoder on DecoderIDs/
// DecoderMask: logits and hidden states cover the decoder input.
// LogitsFrom is ignored (the decoder holds only the scored tokens).
func (l *Seq2SeqLM) Forward(in models.Input, train bool) (models.Output, error) {
	if in.DecoderIDs == nil {
		return models.Output{}, fmt.Errorf("t5: no decoder input")
	}
	o, err := l.Model.Forward(in.IDs, in.Mask, in.DecoderIDs, in.DecoderMask, nil, train)
	if err != nil {
		return models.Output{}, err
	}
	out := models.Output{Logits: o.Logits, Hidden: o.DecoderHidden}
	o.Logits, o.DecoderHidden = nil, nil
	o.Close()
	if in.SkipLogits {
		tensor.Free(out.Logits)
		out.Logits = nil
	}
	return out, nil
}

// Stepper drives generation (encoder once, cached decoder).
func (l *Seq2SeqLM) Stepper() generate.Stepper { return l.Model.Stepper() }
