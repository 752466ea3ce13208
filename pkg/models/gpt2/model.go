// Package gpt2 is GPT-2 as transformers/models/gpt2/modeling_gpt2.py
// (v4.46) writes it: GPT2LMHeadModel (Model) with a key/value cache, and
// GPT2ForSequenceClassification (Classifier). Store names are the
// checkpoint names of GPT2LMHeadModel ("transformer.h.0.attn.c_attn.weight").
package gpt2

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Attention is GPT2Attention: fused q|k|v Conv1D, scaled dot-product
// attention, output Conv1D.
type Attention struct {
	CAttn, CProj *layers.Conv1D
	heads, embd  int64
	scale        float64
	attnDrop     float64
	residDrop    float64
}

func newAttention(p *nn.Path, c Config, layer int) *Attention {
	scale := 1.0
	if c.ScaleAttnWeights {
		scale /= math.Sqrt(float64(c.HeadDim()))
	}
	if c.ScaleAttnByInverseLayerIdx {
		scale /= float64(layer + 1)
	}
	return &Attention{
		CAttn: layers.NewConv1D(p.Sub("c_attn"), c.NEmbd, 3*c.NEmbd, c.InitializerRange),
		CProj: layers.NewConv1D(p.Sub("c_proj"), c.NEmbd, c.NEmbd, projStd(c)),
		heads: c.NHead, embd: c.NEmbd, scale: scale, attnDrop: c.AttnPdrop, residDrop: c.ResidPdrop,
	}
}

// Forward maps x [B, T, C] to [B, T, C]. bias is the additive mask
// [B|1, 1, T, S] or nil; kv, when non-nil, receives this step's keys and
// values and supplies the earlier ones.
func (a *Attention) Forward(x, bias *tensor.Tensor, kv *layers.KV, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	qkv := s.Add(a.CAttn.Forward(x)) // [B, T, 3C]
	parts, err := qkv.Split(a.embd, 2)
	tensor.Checkf(err, "split q|k|v")
	for _, t := range parts {
		s.Add(t)
	}
	q := s.Add(layers.SplitHeads(parts[0], a.heads)) // [B, H, T, D]
	k := s.Add(layers.SplitHeads(parts[1], a.heads))
	v := s.Add(layers.SplitHeads(parts[2], a.heads))
	if kv != nil {
		k, v = kv.Append(k, v) // [B, H, S, D], owned by the cache
	}
	y := s.Add(layers.Attend(q, k, v, bias, a.scale, a.attnDrop, train)) // [B, H, T, D]
	y = s.Add(layers.MergeHeads(y))                                      // [B, T, C]
	y = s.Add(a.CProj.Forward(y))
	return s.Keep(s.Add(layers.Dropout(y, a.residDrop, train)))
}

// MLP is GPT2MLP: c_fc → activation → c_proj → dropout.
type MLP struct {
	CFc, CProj *layers.Conv1D
	act        layers.Activation
	drop       float64
}

func newMLP(p *nn.Path, c Config, act layers.Activation) *MLP {
	return &MLP{
		CFc:   layers.NewConv1D(p.Sub("c_fc"), c.NEmbd, c.Inner(), c.InitializerRange),
		CProj: layers.NewConv1D(p.Sub("c_proj"), c.Inner(), c.NEmbd, projStd(c)),
		act:   act, drop: c.ResidPdrop,
	}
}

// Forward maps [B, T, C] to [B, T, C].
func (m *MLP) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	h := s.Add(m.CFc.Forward(x)) // [B, T, inner]
	h = s.Add(m.act(h))
	h = s.Add(m.CProj.Forward(h)) // [B, T, C]
	return s.Keep(s.Add(layers.Dropout(h, m.drop, train)))
}

// Block is GPT2Block (pre-LN): x + attn(ln_1(x)), then + mlp(ln_2(·)).
type Block struct {
	Ln1, Ln2 *layers.LayerNorm
	Attn     *Attention
	MLP      *MLP
}

func newBlock(p *nn.Path, c Config, layer int, act layers.Activation) *Block {
	return &Block{
		Ln1:  layers.NewLayerNorm(p.Sub("ln_1"), c.NEmbd, c.LayerNormEpsilon),
		Attn: newAttention(p.Sub("attn"), c, layer),
		Ln2:  layers.NewLayerNorm(p.Sub("ln_2"), c.NEmbd, c.LayerNormEpsilon),
		MLP:  newMLP(p.Sub("mlp"), c, act),
	}
}

// Forward maps [B, T, C] to [B, T, C].
func (b *Block) Forward(x, bias *tensor.Tensor, kv *layers.KV, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	a := s.Add(b.Attn.Forward(s.Add(b.Ln1.Forward(x)), bias, kv, train))
	x = s.T(x.Add(a, false))
	m := s.Add(b.MLP.Forward(s.Add(b.Ln2.Forward(x)), train))
	return s.Keep(s.T(x.Add(m, false)))
}

// projStd is HF's special init of the residual projections (c_proj):
// initializer_range / sqrt(2·n_layer), from the GPT-2 paper.
func projStd(c Config) float64 { return c.InitializerRange / math.Sqrt(2*float64(c.NLayer)) }

// Model is GPT2LMHeadModel: transformer.{wte, wpe, h.N, ln_f} and lm_head
// (tied to wte unless tie_word_embeddings is false).
type Model struct {
	Config   Config
	WTE, WPE *layers.Embedding
	Blocks   []*Block
	LnF      *layers.LayerNorm
	LM       *heads.LM
	tanhGELU bool // the blocks' activation is gelu_new's (fusedStep computes no other)
}

// New builds a GPT-2 under root with HF's initialization (_init_weights):
// N(0, initializer_range) weights, c_proj scaled by 1/sqrt(2·n_layer),
// zero biases, LayerNorm 1 and 0. Load weights into root's store to use a
// checkpoint.
func New(root *nn.Path, c Config) (m *Model, err error) {
	defer tensor.Recover(&err)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	act, err := layers.NewActivation(c.ActivationFunction)
	if err != nil {
		return nil, fmt.Errorf("gpt2: field \"activation_function\": %w", err)
	}
	p := root.Sub("transformer")
	m = &Model{
		Config: c,
		WTE:    layers.NewEmbedding(p.Sub("wte"), c.VocabSize, c.NEmbd, c.InitializerRange),
		WPE:    layers.NewEmbedding(p.Sub("wpe"), c.NPositions, c.NEmbd, c.InitializerRange),

		tanhGELU: layers.TanhGELU(c.ActivationFunction),
	}
	for i := 0; i < int(c.NLayer); i++ {
		m.Blocks = append(m.Blocks, newBlock(p.Sub("h").Sub(strconv.Itoa(i)), c, i, act))
	}
	m.LnF = layers.NewLayerNorm(p.Sub("ln_f"), c.NEmbd, c.LayerNormEpsilon)
	if c.Tied() {
		m.LM = heads.TiedLM(m.WTE.Weight)
	} else {
		m.LM = heads.NewLM(root.Sub("lm_head"), c.NEmbd, c.VocabSize, c.InitializerRange)
	}
	return m, nil
}

// Input is one forward call's arguments, named as HF's forward names them.
type Input struct {
	IDs *tensor.Tensor // input_ids [B, T] int64
	// Mask is attention_mask [B, S] (1 token, 0 pad) over the cached and
	// the new positions, S = Cache.Len() + T; nil means no padding.
	Mask *tensor.Tensor
	// Positions is position_ids [B, T]; nil means Cache.Len() + 0..T-1. For
	// left padding pass cumsum(mask)-1 (padded slots: any id; HF generate
	// uses 1), as Stepper does.
	Positions *tensor.Tensor
	// TypeIDs is token_type_ids [B, T] or nil: GPT-2 embeds them with wte
	// and adds them to the input (segment markers in the book's demos).
	TypeIDs *tensor.Tensor
	// Labels [B, T] or nil: Output.Loss is then the causal-LM loss
	// (token t predicts label t+1; -100 is ignored).
	Labels *tensor.Tensor
	// Cache, when non-nil, supplies earlier keys/values and receives this
	// call's; after an error its contents are undefined.
	Cache      *Cache
	AllHidden  bool // fill Output.Hiddens
	SkipLogits bool // hidden states only (classification, value heads)
}

// Output is what Forward returns; the caller owns its tensors (Close).
type Output struct {
	Logits *tensor.Tensor // [B, T, V]; nil with SkipLogits
	Loss   *tensor.Tensor // scalar, with Labels
	Hidden *tensor.Tensor // [B, T, C], after ln_f
	// Hiddens, with AllHidden, is HF's hidden_states: the embeddings, the
	// output of each block but the last, then Hidden itself (same tensor).
	Hiddens []*tensor.Tensor
	Cache   *Cache // Input.Cache, updated
}

// Close frees the output's tensors (not the cache).
func (o *Output) Close() {
	if n := len(o.Hiddens); n > 0 {
		tensor.Free(o.Hiddens[:n-1]...)
	}
	tensor.Free(o.Logits, o.Loss, o.Hidden)
	o.Logits, o.Loss, o.Hidden, o.Hiddens = nil, nil, nil, nil
}

// Forward runs the model (GPT2LMHeadModel.forward): embeddings → blocks →
// ln_f → lm_head. Dropout acts only when train is set.
func (m *Model) Forward(in Input, train bool) (out *Output, err error) {
	defer func() { // free what was kept before a failure
		if err != nil && out != nil {
			out.Close()
			out = nil
		}
	}()
	defer tensor.Recover(&err)
	if err := m.checkInput(in); err != nil {
		return nil, err
	}
	s := tensor.NewScope()
	defer s.Close()
	sh := tensor.Shape(in.IDs) // [B, T]
	past := in.Cache.Len()
	dev, err := m.WTE.Weight.Device()
	tensor.Check(err)
	bias := m.attentionBias(in.Mask, sh[1], past+sh[1], dev) // nil: nothing masked
	if bias != nil {
		s.Add(bias)
	}
	out = &Output{Cache: in.Cache}
	x := m.fusedStep(in, bias, train)
	if x != nil {
		s.Add(x)
	} else {
		x = s.Add(m.embed(in, past, dev, train))
		for i, b := range m.Blocks {
			if in.AllHidden {
				out.Hiddens = append(out.Hiddens, s.Keep(x))
			}
			x = s.Add(b.Forward(x, bias, in.Cache.Layer(i), train))
		}
	}
	out.Hidden = s.Keep(s.Add(m.LnF.Forward(x)))
	if in.AllHidden {
		out.Hiddens = append(out.Hiddens, out.Hidden)
	}
	if !in.SkipLogits {
		out.Logits = m.LM.Forward(out.Hidden) // [B, T, V]
	}
	if in.Labels != nil {
		out.Loss = layers.CausalLMLoss(out.Logits, in.Labels)
	}
	return out, nil
}

// embed is the blocks' input [B, T, C]: token plus position embeddings
// (plus token type ids' through wte, as HF's GPT-2), then dropout.
func (m *Model) embed(in Input, past int64, dev gotch.Device, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	pos := in.Positions
	if pos == nil {
		t := tensor.Shape(in.IDs)[1]
		pos = s.T(s.T(ts.ArangeStart(s.Int(past), s.Int(past+t), gotch.Int64, dev)).Unsqueeze(0, false)) // [1, T]
	}
	x := s.T(s.Add(m.WTE.Forward(in.IDs)).Add(s.Add(m.WPE.Forward(pos)), false))
	if in.TypeIDs != nil {
		x = s.T(x.Add(s.Add(m.WTE.Forward(in.TypeIDs)), false))
	}
	return s.Keep(s.Add(layers.Dropout(x, m.Config.EmbdPdrop, train)))
}

// attentionBias folds causality and key padding into one additive bias
// [B|1, 1, T, S], or nil when nothing is masked (one new token, no pads).
func (m *Model) attentionBias(mask *tensor.Tensor, t, sLen int64, dev gotch.Device) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	var causal, pad *tensor.Tensor
	if t > 1 {
		causal = s.Add(layers.CausalAllowed(t, sLen, dev))
	}
	if mask != nil {
		pad = s.Add(layers.KeyPaddingAllowed(mask))
	}
	allowed := layers.And(causal, pad)
	if allowed == nil {
		return nil
	}
	s.Add(allowed)
	return layers.Bias(allowed, m.WTE.Weight.DType())
}
