package ppo

import (
	"fmt"
	"strings"

	_ "github.com/gotrl/gotrl/pkg/models/all" // the stages load every family
	"github.com/gotrl/gotrl/pkg/models/lora"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Policy is what PPO trains: a language model with a value head (TRL's
// AutoModelForCausalLMWithValueHead / AutoModelForSeq2SeqLMWithValueHead),
// or any pair that behaves like one (see ActorCritic).
type Policy interface {
	// Forward scores one padded batch. Logits [B, T-LogitsFrom, V] (or
	// [B, T, V]: a policy may ignore LogitsFrom) and Values [B, T] cover
	// the scored sequence: query+response for a decoder-only model, the
	// decoder input (start token + response) for an encoder-decoder.
	Forward(in Input, train bool) (Output, error)
	// DecoderStart is an encoder-decoder's decoder_start_token_id; -1 marks
	// a decoder-only model.
	DecoderStart() int64
	// Stores hold the trainable parameters, one optimizer per store.
	Stores() []*nn.Store
}

// Input is a padded batch (models.Input) and whether values are wanted.
type Input struct {
	models.Input
	// SkipValues asks for logits only (a reference model's forward).
	SkipValues bool
}

// Scored returns the ids the logits predict and their mask: IDs and Mask
// for a decoder-only batch, DecoderIDs and DecoderMask otherwise.
func (in Input) Scored() (ids, mask *tensor.Tensor) {
	if in.DecoderIDs != nil {
		return in.DecoderIDs, in.DecoderMask
	}
	return in.IDs, in.Mask
}

// Output is a Policy's result; the caller frees it with Close.
type Output struct {
	Logits *tensor.Tensor // nil with SkipLogits
	Values *tensor.Tensor // [B, T], nil with SkipValues
}

// Close frees both tensors.
func (o *Output) Close() { tensor.Free(o.Logits, o.Values) }

// ValueModel is a language model of any family that PPO supports (causal:
// GPT-2, seq2seq: T5) with TRL's value head on its last hidden state, in
// the model's own store: transformer.* (or shared/encoder/decoder.*) and
// v_head.summary.*, the checkpoint layout TRL saves.
type ValueModel struct {
	LM    models.LM
	Value *heads.Value
	// Adapter, when set, holds LoRA adapters on LM (PEFT): it is what
	// trains and what Save writes, with the value head beside it.
	Adapter *lora.Adapter
	// Generation is the model directory whose generation defaults a save
	// carries (generate.CarryDefaults): the run's starting policy.
	Generation string
}

var _ Policy = (*ValueModel)(nil)

// LoadValueModel reads a checkpoint dir of a causal or seq2seq LM. Every
// model tensor must be there; v_head.summary.* may be missing (a plain LM
// checkpoint), in which case the head keeps its fresh init, as TRL's
// from_pretrained does.
//
// o says where (Device) and may carry the tokenizer's special ids
// (Tokens); its Task and Extra are set here.
func LoadValueModel(dir string, o models.Options) (*ValueModel, error) {
	var v *heads.Value
	o.Task = models.TaskLM
	o.Extra = &models.Extra{
		Prefix: "v_head",
		Build: func(p *nn.Path, d models.Dims) (err error) {
			defer tensor.Recover(&err)
			v = heads.NewValue(p, d.Hidden, 0)
			return nil
		},
	}
	m, err := models.Load(dir, o)
	if err != nil {
		return nil, fmt.Errorf("load policy %s: %w", dir, err)
	}
	lm, ok := m.(models.LM)
	if !ok || lm.Kind() == models.Masked {
		m.Close()
		return nil, fmt.Errorf("load policy %s: PPO trains causal (GPT-2) and seq2seq (T5) language models, not %T", dir, m)
	}
	return &ValueModel{LM: lm, Value: v}, nil
}

// WithValueHead adds a fresh value head (dropout as TRL's
// summary_dropout_prob) to a model built in its own store (tests,
// benchmarks).
func WithValueHead(lm models.LM, dropout float64) (vm *ValueModel, err error) {
	defer tensor.Recover(&err)
	v := heads.NewValue(lm.Store().Root().Sub("v_head"), lm.Dims().Hidden, dropout)
	return &ValueModel{LM: lm, Value: v}, nil
}

// Save writes config.json and model.safetensors (value head included, tied
// copies left out) so TRL's from_pretrained reads them back.
func (p *ValueModel) Save(dir string) error {
	if p.Adapter != nil {
		return p.Adapter.Save(dir)
	}
	if err := p.LM.Save(dir); err != nil {
		return err
	}
	return generate.CarryDefaults(p.Generation, dir)
}

// Forward runs the LM and the value head on the scored sequence's last
// hidden state (hidden_states[-1]).
func (p *ValueModel) Forward(in Input, train bool) (Output, error) {
	lin := in.Input
	lin.SkipLogits = in.SkipLogits
	o, err := p.LM.Forward(lin, train)
	if err != nil {
		return Output{}, err
	}
	defer tensor.Free(o.Hidden)
	out := Output{Logits: o.Logits}
	if in.SkipValues {
		return out, nil
	}
	_, mask := in.Scored()
	if out.Values, err = valuesOf(p.Value, o.Hidden, mask, train); err != nil {
		out.Close()
		return Output{}, err
	}
	return out, nil
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

// DecoderStart is the LM's decoder_start_token_id for seq2seq models.
func (p *ValueModel) DecoderStart() int64 {
	if p.LM.Kind() == models.Seq2Seq {
		return p.LM.Tokens().DecoderStart
	}
	return -1
}

func (p *ValueModel) Stores() []*nn.Store       { return []*nn.Store{p.LM.Store()} }
func (p *ValueModel) Stepper() generate.Stepper { return p.LM.Stepper() }

// Close frees the weights.
func (p *ValueModel) Close() { p.LM.Close() }

// ActorCritic pairs two policies with separate weights and optimizers:
// logits from Actor, values from Critic (TRL 0.11 shares one trunk; this
// is the layout of separate-critic PPO implementations).
type ActorCritic struct {
	Actor, Critic Policy
}

var _ Policy = ActorCritic{}

// Forward runs the actor for logits and the critic for values.
func (ac ActorCritic) Forward(in Input, train bool) (Output, error) {
	var out Output
	if !in.SkipLogits {
		a := in
		a.SkipValues = true
		o, err := ac.Actor.Forward(a, train)
		if err != nil {
			return Output{}, fmt.Errorf("actor: %w", err)
		}
		out.Logits = o.Logits
	}
	if !in.SkipValues {
		c := in
		c.SkipLogits = true
		o, err := ac.Critic.Forward(c, train)
		if err != nil {
			out.Close()
			return Output{}, fmt.Errorf("critic: %w", err)
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
	return strings.TrimPrefix(fmt.Sprintf("%T", p), "*ppo.")
}

// ClosePolicy frees a policy's weights.
func ClosePolicy(p Policy) {
	for _, st := range p.Stores() {
		st.Close()
	}
}
