// Package t5 is T5 (v1.0) and mT5 / T5 v1.1 on libtorch. It mirrors
// transformers/models/t5/modeling_t5.py (transformers 4.46):
// shared embedding → encoder T5Stack → decoder T5Stack (self-attention,
// cross-attention, feed-forward; pre-RMS-norm residual blocks) → lm_head.
// Parameter names are the checkpoint's (encoder.block.0.layer.0.SelfAttention.q.weight).
package t5

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Output holds a forward pass's tensors; the caller frees them with Close
// (the Cache stays the caller's to close).
type Output struct {
	Logits        *tensor.Tensor // [B, T, V]
	EncoderHidden *tensor.Tensor // [B, S, C] encoder.last_hidden_state (nil from Decode)
	DecoderHidden *tensor.Tensor // [B, T, C] decoder.last_hidden_state
	// EncoderHiddens[i] / DecoderHiddens[i] is the input of block i
	// ([0] = the embeddings); with the last hidden they are HF's hidden_states.
	EncoderHiddens, DecoderHiddens []*tensor.Tensor
	Cache                          *Cache
}

// Close frees the output's tensors.
func (o *Output) Close() {
	tensor.Free(o.Logits, o.EncoderHidden, o.DecoderHidden)
	tensor.Free(o.EncoderHiddens...)
	tensor.Free(o.DecoderHiddens...)
	*o = Output{}
}

// Model is T5ForConditionalGeneration (MT5ForConditionalGeneration).
type Model struct {
	Config           Config
	Shared           *layers.Embedding // shared.weight [V, C]
	Encoder, Decoder *Stack
	LMHead           *heads.LM // [V, C]: Shared.Weight when tied
}

// New builds the model under p (the checkpoint root), initialised as
// T5PreTrainedModel._init_weights.
func New(p *nn.Path, c Config) (m *Model, err error) {
	defer tensor.Recover(&err)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("t5: %w", err)
	}
	f := c.InitializerFactor
	m = &Model{Config: c, Shared: layers.NewEmbedding(p.Sub("shared"), c.VocabSize, c.DModel, f)}
	if m.Encoder, err = newStack(p.Sub("encoder"), c, false); err != nil {
		return nil, err
	}
	if m.Decoder, err = newStack(p.Sub("decoder"), c, true); err != nil {
		return nil, err
	}
	m.LMHead = heads.TiedLM(m.Shared.Weight)
	if !c.Tied() {
		m.LMHead = heads.NewLM(p.Sub("lm_head"), c.DModel, c.VocabSize, f)
	}
	return m, nil
}

// Forward runs the encoder on ids [B, S] (mask [B, S], 1 = token; nil =
// all tokens) and the decoder on decIDs [B, T] (decMask [B, past+T] or
// nil). With a cache the decoder appends to it (see Decode).
func (m *Model) Forward(ids, mask, decIDs, decMask *tensor.Tensor, cache *Cache, train bool) (*Output, error) {
	enc, err := m.Encode(ids, mask, train)
	if err != nil {
		return nil, err
	}
	dec, err := m.Decode(decIDs, decMask, enc.EncoderHidden, mask, cache, train)
	if err != nil {
		enc.Close()
		return nil, err
	}
	dec.EncoderHidden, dec.EncoderHiddens = enc.EncoderHidden, enc.EncoderHiddens
	return dec, nil
}

// Encode runs the encoder stack: Output.EncoderHidden [B, S, C].
func (m *Model) Encode(ids, mask *tensor.Tensor, train bool) (out *Output, err error) {
	defer tensor.Recover(&err)
	if err := m.checkIDs(ids, "input_ids"); err != nil {
		return nil, err
	}
	if err := checkMask(mask, "attention_mask", tensor.Shape(ids)); err != nil {
		return nil, err
	}
	s := tensor.NewScope()
	defer s.Close()
	t := tensor.Shape(ids)[1]
	bias := s.Add(m.Encoder.positionBias(t, t, 0, deviceOf(ids))) // [1, H, S, S]
	if mask != nil {
		bias = s.T(bias.Add(s.Add(layers.Bias(s.Add(padding(mask)), gotch.Float)), false)) // [B, H, S, S]
	}
	x := s.Add(m.Shared.Forward(ids)) // [B, S, C]
	h, hs := m.Encoder.forward(x, bias, nil, nil, nil, train)
	return &Output{EncoderHidden: h, EncoderHiddens: hs}, nil
}

// Decode runs the decoder on ids [B, T] against the encoder output enc
// [B, S, C] (encMask [B, S] or nil). decMask covers every decoder key
// [B, past+T] or is nil (causal only). A non-nil cache supplies the past
// self-attention keys/values and the cross-attention ones, and grows by T.
func (m *Model) Decode(ids, decMask, enc, encMask *tensor.Tensor, cache *Cache, train bool) (out *Output, err error) {
	return m.decode(ids, decMask, enc, encMask, cache, train, true)
}

// decode is Decode; without logits, Output.Logits is nil (greedy decoding
// chooses through the head's screen from headInput's rows).
func (m *Model) decode(ids, decMask, enc, encMask *tensor.Tensor, cache *Cache, train, logits bool) (out *Output, err error) {
	defer tensor.Recover(&err)
	past := cache.Len()
	if err := m.checkIDs(ids, "decoder_input_ids"); err != nil {
		return nil, err
	}
	if enc == nil {
		return nil, fmt.Errorf("t5: the decoder needs the encoder output")
	}
	b, t := tensor.Shape(ids)[0], tensor.Shape(ids)[1]
	if err := checkMask(decMask, "decoder_attention_mask (cached + new)", []int64{b, past + t}); err != nil {
		return nil, err
	}
	if err := checkMask(encMask, "attention_mask", tensor.Shape(enc)[:2]); err != nil {
		return nil, err
	}
	if cache != nil && len(cache.Self.Layers) != len(m.Decoder.Blocks) {
		return nil, fmt.Errorf("t5: cache has %d layers, decoder %d", len(cache.Self.Layers), len(m.Decoder.Blocks))
	}
	s := tensor.NewScope()
	defer s.Close()
	dev := deviceOf(ids)
	allowed := s.Add(layers.And(s.Add(layers.CausalAllowed(t, past+t, dev)), s.Add(padding(decMask)))) // [B|1, 1, T, S]
	pos := s.Add(m.Decoder.positionBias(t, past+t, past, dev))                                         // [1, H, T, S]
	self := s.T(pos.Add(s.Add(layers.Bias(allowed, gotch.Float)), false))                              // [B|1, H, T, S]
	cross := s.Add(layers.Bias(s.Add(padding(encMask)), gotch.Float))                                  // [B, 1, 1, S_enc] or nil
	x := s.Add(m.Shared.Forward(ids))                                                                  // [B, T, C]
	err = tensor.Catch(func() {
		h, hs := m.Decoder.forward(x, self, enc, cross, cache, train)
		out = &Output{DecoderHidden: h, DecoderHiddens: hs, Cache: cache}
		if logits {
			out.Logits = m.LMHead.Forward(s.Add(m.headInput(h))) // [B, T, V]
		}
	})
	if err != nil {
		if out != nil {
			out.Close() // a failure in the head frees the decoder's outputs
		}
		return nil, err
	}
	return out, nil
}

// headInput is what the LM head multiplies for the decoder's output h: h,
// or, under a tied head, h·d_model^-0.5 (T5ForConditionalGeneration
// rescales before the tied lm_head), a new tensor.
func (m *Model) headInput(h *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	if m.Config.Tied() {
		return s.Keep(s.T(h.MulScalar(s.Float(math.Pow(float64(m.Config.DModel), -0.5)), false)))
	}
	return s.Keep(s.T(h.ShallowClone()))
}

// checkIDs turns out-of-vocabulary ids and an empty sequence into errors.
func (m *Model) checkIDs(ids *tensor.Tensor, name string) error {
	if ids == nil || ids.Dim() != 2 || tensor.Shape(ids)[1] == 0 {
		return fmt.Errorf("t5: %s must be [batch, seq] with seq ≥ 1", name)
	}
	return layers.CheckIDs(ids, "t5: "+name, "vocab_size", m.Config.VocabSize)
}

// checkMask reports a mask (nil is fine) whose shape is not want.
func checkMask(mask *tensor.Tensor, name string, want []int64) error {
	if mask != nil && !slices.Equal(tensor.Shape(mask), want) {
		return fmt.Errorf("t5: %s shape %v, want %v", name, tensor.Shape(mask), want)
	}
	return nil
}

// padding maps mask [B, S] to "may attend" [B, 1, 1, S]; nil stays nil.
func padding(mask *tensor.Tensor) *tensor.Tensor {
	if mask == nil {
		return nil
	}
	return layers.KeyPaddingAllowed(mask)
}

// Stack is T5Stack: blocks, then the final RMS norm and dropout. Only
// block 0 owns a relative_attention_bias; the other blocks reuse its
// position bias (has_relative_attention_bias = i == 0).
type Stack struct {
	Blocks  []*Block
	Final   *layers.RMSNorm
	RelBias *layers.Embedding // [buckets, H]
	causal  bool
	buckets int64
	maxDist int64
	dropout float64
}

func newStack(p *nn.Path, c Config, decoder bool) (*Stack, error) {
	n := c.NumLayers
	if decoder {
		n = c.DecoderLayers()
	}
	st := &Stack{causal: decoder, buckets: c.RelativeBuckets, maxDist: c.RelativeMaxDistance, dropout: c.DropoutRate}
	for i := int64(0); i < n; i++ {
		b, err := newBlock(p.Sub("block").Sub(strconv.FormatInt(i, 10)), c, decoder)
		if err != nil {
			return nil, err
		}
		st.Blocks = append(st.Blocks, b)
	}
	rel := p.Sub("block").Sub("0").Sub("layer").Sub("0").Sub("SelfAttention").Sub("relative_attention_bias")
	st.RelBias = layers.NewEmbedding(rel, c.RelativeBuckets, c.NumHeads, c.InitializerFactor*math.Pow(float64(c.DModel), -0.5))
	st.Final = layers.NewRMSNorm(p.Sub("final_layer_norm"), c.DModel, c.LayerNormEpsilon)
	return st, nil
}

// forward maps embeddings x [B, T, C] to the final hidden [B, T, C] and the
// inputs of every block. self is the self-attention bias [B|1, H, T, S]
// (position bias plus mask); enc [B, S_enc, C] and cross [B, 1, 1, S_enc]
// (or nil) are used by decoder blocks only.
func (st *Stack) forward(x, self, enc, cross *tensor.Tensor, cache *Cache, train bool) (*tensor.Tensor, []*tensor.Tensor) {
	s := tensor.NewScope()
	defer s.Close()
	x = layers.Dropout(x, st.dropout, train)
	var hiddens []*tensor.Tensor
	for i, b := range st.Blocks {
		hiddens = append(hiddens, x)
		selfKV, crossKV := cache.layer(i)
		x = b.Forward(x, self, enc, cross, selfKV, crossKV, train)
	}
	h := s.Add(st.Final.Forward(x))
	s.Add(x) // the last block's raw output is not part of HF's hidden_states
	return layers.Dropout(h, st.dropout, train), hiddens
}

// positionBias is T5Attention.compute_bias for queries past..past+q-1 and
// keys 0..k-1: [1, H, q, k].
func (st *Stack) positionBias(q, k, past int64, dev gotch.Device) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	ids := make([]int64, 0, q*k)
	for i := past; i < past+q; i++ {
		for j := int64(0); j < k; j++ {
			ids = append(ids, relativeBucket(j-i, !st.causal, st.buckets, st.maxDist))
		}
	}
	buckets := s.T(tensor.FromInt64s(ids, []int64{q, k}, dev))
	b := s.Add(st.RelBias.Forward(buckets)) // [q, k, H]
	b = s.T(b.Permute([]int64{2, 0, 1}, false))
	return s.Keep(s.T(b.Unsqueeze(0, false))) // [1, H, q, k]
}

// relativeBucket is T5Attention._relative_position_bucket for one relative
// position (key - query): exact buckets for small distances, logarithmic
// ones up to maxDistance, half of them per sign when bidirectional. The
// log is taken in float32 and truncated, as HF does on float tensors.
func relativeBucket(rel int64, bidirectional bool, buckets, maxDistance int64) int64 {
	var bucket int64
	if bidirectional {
		buckets /= 2
		if rel > 0 {
			bucket += buckets
		}
		if rel < 0 {
			rel = -rel
		}
	} else {
		rel = -min(rel, 0)
	}
	maxExact := buckets / 2
	if rel < maxExact {
		return bucket + rel
	}
	ratio := float32(rel) / float32(maxExact)
	scaled := float32(math.Log(float64(ratio))) / float32(math.Log(float64(maxDistance)/float64(maxExact))) * float32(buckets-maxExact)
	return bucket + min(maxExact+int64(scaled), buckets-1)
}

func deviceOf(t *tensor.Tensor) gotch.Device {
	d, err := t.Device()
	tensor.Check(err)
	return d
}
