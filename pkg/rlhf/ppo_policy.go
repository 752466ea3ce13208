package rlhf

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// Policy is what PPO trains: a language model with a value head (TRL's
// AutoModelForCausalLMWithValueHead / AutoModelForSeq2SeqLMWithValueHead),
// or any pair that behaves like one (see ActorCritic).
type Policy interface {
	// Forward scores one padded batch. Logits [B, T, V] and Values [B, T]
	// cover the scored sequence: query+response for a decoder-only model,
	// the decoder input (start token + response) for an encoder-decoder.
	Forward(in PolicyInput, train bool) (PolicyOutput, error)
	// DecoderStart is an encoder-decoder's decoder_start_token_id; -1 marks
	// a decoder-only model.
	DecoderStart() int64
	// Stores hold the trainable parameters, one optimizer per store.
	Stores() []*nn.Store
}

// PolicyInput is a padded batch as HF's forward names it (ids int64,
// masks int64 with 1 = token).
type PolicyInput struct {
	IDs, Mask *tensor.Tensor // [B, T]: query+response, or the encoder's query
	// DecoderIDs, DecoderMask [B, T']: encoder-decoders only.
	DecoderIDs, DecoderMask *tensor.Tensor
	// SkipLogits asks for values only (a critic's forward).
	SkipLogits bool
	// SkipValues asks for logits only (a reference model's forward).
	SkipValues bool
	// LogitsFrom skips the LM head before this position of the scored
	// sequence: Logits are then [B, T-LogitsFrom, V] (PPO only scores the
	// response). A policy may ignore it and return all T positions.
	LogitsFrom int64
}

// Scored returns the ids the logits predict and their mask: IDs and Mask
// for a decoder-only batch, DecoderIDs and DecoderMask otherwise.
func (in PolicyInput) Scored() (ids, mask *tensor.Tensor) {
	if in.DecoderIDs != nil {
		return in.DecoderIDs, in.DecoderMask
	}
	return in.IDs, in.Mask
}

// PolicyOutput is a Policy's result; the caller frees it with Close.
type PolicyOutput struct {
	Logits *tensor.Tensor // [B, T, V], nil with SkipLogits
	Values *tensor.Tensor // [B, T], nil with SkipValues
}

// Close frees both tensors.
func (o *PolicyOutput) Close() { tensor.Free(o.Logits, o.Values) }

// GPT2Policy is GPT-2 with TRL's value head on the same trunk, in one
// store: transformer.*, v_head.summary.* (the checkpoint layout TRL
// saves).
type GPT2Policy struct {
	LM    *gpt2.Model
	Value *heads.Value
	Store *nn.Store
}

var _ Policy = (*GPT2Policy)(nil)

// NewGPT2Policy builds a GPT-2 and a value head (dropout as TRL's
// summary_dropout_prob) with fresh weights on dev.
func NewGPT2Policy(c gpt2.Config, valueDropout float64, dev gotch.Device) (p *GPT2Policy, err error) {
	defer tensor.Recover(&err)
	store := nn.NewStore(dev)
	lm, err := gpt2.New(store.Root(), c)
	if err != nil {
		store.Close()
		return nil, err
	}
	v := heads.NewValue(store.Root().Sub("v_head"), c.NEmbd, valueDropout)
	return &GPT2Policy{LM: lm, Value: v, Store: store}, nil
}

// LoadGPT2Policy reads a GPT-2 checkpoint dir. Every transformer tensor
// must be there; v_head.summary.* may be missing (a plain LM checkpoint),
// in which case the head keeps its fresh init, as TRL's from_pretrained
// does.
func LoadGPT2Policy(dir string, dev gotch.Device) (*GPT2Policy, error) {
	c, err := gpt2.LoadConfig(filepath.Join(dir, weights.ConfigFile))
	if err != nil {
		return nil, err
	}
	p, err := NewGPT2Policy(c, 0, dev)
	if err != nil {
		return nil, err
	}
	if err := loadPolicy(dir, p.Store, gpt2.LoadOptions()); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// loadPolicy loads a checkpoint into a policy store (trunk + v_head): the
// value head alone may be missing.
func loadPolicy(dir string, store *nn.Store, opts weights.LoadOptions) error {
	opts.Partial = true
	rep, err := weights.Load(dir, store, opts)
	if err == nil {
		err = partialValueHead(rep)
	}
	if err != nil {
		return fmt.Errorf("load policy %s: %w", dir, err)
	}
	return nil
}

// partialValueHead accepts a load report whose only gaps are the value
// head's tensors.
func partialValueHead(rep weights.Report) error {
	var missing []string
	for _, m := range rep.Missing {
		if !nn.Prefixed(m.Name, "v_head") {
			missing = append(missing, m.String())
		}
	}
	if len(missing) > 0 || len(rep.Unexpected) > 0 {
		return fmt.Errorf("missing %v, unexpected %v", missing, rep.Unexpected)
	}
	return nil
}

// Save writes config.json and model.safetensors (HF + TRL names, tied
// lm_head left out) so TRL's from_pretrained reads them back.
func (p *GPT2Policy) Save(dir string) error {
	return weights.Save(dir, p.Store, p.LM.Config, weights.SaveOptions{Tied: gpt2.LoadOptions().Tied})
}

// Forward runs GPT2LMHeadModel and the value head on hidden_states[-1].
// No position ids are passed, as TRL's batched_forward_pass does.
func (p *GPT2Policy) Forward(in PolicyInput, train bool) (out PolicyOutput, err error) {
	window := in.LogitsFrom > 0 && !in.SkipLogits
	o, err := p.LM.Forward(gpt2.Input{IDs: in.IDs, Mask: in.Mask, SkipLogits: in.SkipLogits || window}, train)
	if err != nil {
		return PolicyOutput{}, err
	}
	defer tensor.Free(o.Hidden)
	out.Logits = o.Logits
	if window {
		if out.Logits, err = windowLogits(p.LM.LM, o.Hidden, in.LogitsFrom); err != nil {
			return PolicyOutput{}, err
		}
	}
	if in.SkipValues {
		return out, nil
	}
	out.Values, err = valuesOf(p.Value, o.Hidden, in.Mask, train)
	if err != nil {
		out.Close()
		return PolicyOutput{}, err
	}
	return out, nil
}

// windowLogits applies the LM head to hidden [B, T, C] from position
// from on: [B, T-from, V].
func windowLogits(lm *heads.LM, hidden *tensor.Tensor, from int64) (logits *tensor.Tensor, err error) {
	defer tensor.Recover(&err)
	s := tensor.NewScope()
	defer s.Close()
	t := tensor.Shape(hidden)[1]
	return lm.Forward(s.T(hidden.Narrow(1, from, t-from, false))), nil
}

// valuesOf applies the value head to hidden [B, T, C]: per-token values
// [B, T].
func valuesOf(head *heads.Value, hidden, mask *tensor.Tensor, train bool) (values *tensor.Tensor, err error) {
	defer tensor.Recover(&err)
	s := tensor.NewScope()
	defer s.Close()
	last := s.Add(heads.LastByMask(mask))
	v := head.Forward(hidden, last, train)
	tensor.Free(v.Last)
	return v.PerToken, nil
}

func (p *GPT2Policy) DecoderStart() int64 { return -1 }
func (p *GPT2Policy) Stores() []*nn.Store { return []*nn.Store{p.Store} }

// Close frees the weights.
func (p *GPT2Policy) Close() { p.Store.Close() }

// ActorCritic pairs two policies with separate weights and optimizers:
// logits from Actor, values from Critic (TRL 0.11 shares one trunk; this
// is the layout of separate-critic PPO implementations).
type ActorCritic struct {
	Actor, Critic Policy
}

var _ Policy = ActorCritic{}

// Forward runs the actor for logits and the critic for values.
func (ac ActorCritic) Forward(in PolicyInput, train bool) (PolicyOutput, error) {
	var out PolicyOutput
	if !in.SkipLogits {
		a := in
		a.SkipValues = true
		o, err := ac.Actor.Forward(a, train)
		if err != nil {
			return PolicyOutput{}, fmt.Errorf("actor: %w", err)
		}
		out.Logits = o.Logits
	}
	if !in.SkipValues {
		c := in
		c.SkipLogits = true
		o, err := ac.Critic.Forward(c, train)
		if err != nil {
			out.Close()
			return PolicyOutput{}, fmt.Errorf("critic: %w", err)
		}
		out.Values = o.Values
	}
	return out, nil
}

func (ac ActorCritic) DecoderStart() int64 { return ac.Actor.DecoderStart() }
func (ac ActorCritic) Stores() []*nn.Store {
	return append(append([]*nn.Store{}, ac.Actor.Stores()...), ac.Critic.Stores()...)
}

// describe names a policy in errors.
func describe(p Policy) string {
	if p.DecoderStart() >= 0 {
		return "encoder-decoder"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", p), "*rlhf.")
}

// LoadPolicy loads a GPT-2 or T5 checkpoint dir with a value head,
// picking the family from config.json's model_type.
func LoadPolicy(dir string, dev gotch.Device) (Policy, error) {
	_, kind, err := models.ReadConfig(dir, "")
	if err != nil {
		return nil, err
	}
	switch kind {
	case "gpt2":
		return LoadGPT2Policy(dir, dev)
	case "t5", "mt5":
		return LoadT5Policy(dir, dev)
	}
	return nil, fmt.Errorf("load policy %s: model_type %q: PPO supports gpt2, t5 and mt5", dir, kind)
}

// ClosePolicy frees a policy's weights.
func ClosePolicy(p Policy) {
	for _, st := range p.Stores() {
		st.Close()
	}
}
