package rlhf

import (
	"fmt"
	"path/filepath"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/t5"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// T5Policy is T5 with TRL's value head on the decoder's last hidden state
// (AutoModelForSeq2SeqLMWithValueHead), in one store: the encoder reads
// the query, the decoder produces the response.
type T5Policy struct {
	LM    *t5.Model
	Value *heads.Value
	Store *nn.Store
}

var _ Policy = (*T5Policy)(nil)

// NewT5Policy builds a T5 and a value head with fresh weights on dev.
func NewT5Policy(c t5.Config, valueDropout float64, dev gotch.Device) (p *T5Policy, err error) {
	defer tensor.Recover(&err)
	store := nn.NewStore(dev)
	lm, err := t5.New(store.Root(), c)
	if err != nil {
		store.Close()
		return nil, err
	}
	v := heads.NewValue(store.Root().Sub("v_head"), c.DModel, valueDropout)
	return &T5Policy{LM: lm, Value: v, Store: store}, nil
}

// LoadT5Policy reads a T5 checkpoint dir; v_head.summary.* may be missing
// (fresh head), as in LoadGPT2Policy.
func LoadT5Policy(dir string, dev gotch.Device) (*T5Policy, error) {
	c, err := t5.ReadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return nil, err
	}
	p, err := NewT5Policy(c, 0, dev)
	if err != nil {
		return nil, err
	}
	if err := loadPolicy(dir, p.Store, t5.LoadOptions(c)); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Save writes config.json and model.safetensors (tied copies left out).
func (p *T5Policy) Save(dir string) error {
	return weights.Save(dir, p.Store, p.LM.Config, weights.SaveOptions{Tied: t5.LoadOptions(p.LM.Config).Tied})
}

// Forward runs T5ForConditionalGeneration on the query (IDs, Mask) and the
// decoder input (DecoderIDs, DecoderMask), and the value head on the
// decoder's last hidden state [B, T', C].
func (p *T5Policy) Forward(in PolicyInput, train bool) (PolicyOutput, error) {
	if in.DecoderIDs == nil {
		return PolicyOutput{}, fmt.Errorf("t5 policy: no decoder input")
	}
	o, err := p.LM.Forward(in.IDs, in.Mask, in.DecoderIDs, in.DecoderMask, nil, train)
	if err != nil {
		return PolicyOutput{}, err
	}
	out := PolicyOutput{Logits: o.Logits}
	o.Logits = nil
	defer o.Close()
	if in.SkipLogits {
		tensor.Free(out.Logits)
		out.Logits = nil
	}
	if in.SkipValues {
		return out, nil
	}
	if out.Values, err = valuesOf(p.Value, o.DecoderHidden, in.DecoderMask, train); err != nil {
		out.Close()
		return PolicyOutput{}, err
	}
	return out, nil
}

func (p *T5Policy) DecoderStart() int64       { return p.LM.Config.DecoderStart() }
func (p *T5Policy) Stores() []*nn.Store       { return []*nn.Store{p.Store} }
func (p *T5Policy) Stepper() generate.Stepper { return p.LM.Stepper() }
func (p *T5Policy) Close()                    { p.Store.Close() }
