// Package bert is BERT on libtorch, including the UniLM seq2seq mask of the
// book's chit-chat bot. It mirrors transformers/models/bert/modeling_bert.py
// (transformers 4.46): BertEmbeddings → post-LN BertLayer × N → BertPooler,
// then the heads in heads.go. Parameter names are the checkpoint's
// (bert.encoder.layer.3.attention.self.query.weight, cls.predictions.bias).
package bert

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Input is one batch for BertModel.forward.
type Input struct {
	IDs *tensor.Tensor // [B, T] int64 token ids
	// TypeIDs are the segment ids [B, T]; nil means all 0.
	TypeIDs *tensor.Tensor
	// PositionIDs [B, T]; nil means past..past+T-1, past being the
	// cached length (RoBERTa: counted over the non-padding ids from
	// pad_token_id + 1, padding at pad_token_id; with Embeds, which HF
	// takes instead of ids, pad_token_id+1..pad_token_id+T).
	PositionIDs *tensor.Tensor
	// Mask is either HF's attention_mask [B, S] (1 = token, 0 = padding)
	// or a 3-D "may attend" mask [B, T, S] (query row, key column), as the
	// UniLM fixture passes it. S = past + T. nil lets every query see every key.
	Mask *tensor.Tensor
	// UniLM adds the seq2seq mask built from TypeIDs (layers.UniLMAllowed:
	// segment 0 = source, bidirectional; 1 = target, causal) to Mask.
	// It needs the whole sequence, so it is refused with a non-empty Cache.
	UniLM bool
	// Cache, when non-nil, holds every layer's keys and values: the new
	// ones are appended (UniLM decoding, see generate.go).
	Cache *Cache
	// Embeds [B, T, C], when set, replaces word_embeddings(IDs) (HF's
	// inputs_embeds): P-tuning's soft prompts (pkg/prompt/run). IDs still
	// give the shape and are checked.
	Embeds *tensor.Tensor
}

// Output holds a forward pass's tensors; the caller frees them with Close.
type Output struct {
	Logits *tensor.Tensor // the head's output: [B, T, V] (MLM), [B, L] (classifier), [B] (reward); nil for Model
	Hidden *tensor.Tensor // [B, T, C] last layer (HF last_hidden_state)
	Pooled *tensor.Tensor // [B, C] tanh(dense(Hidden[:, 0])), nil without a pooler
	// Hiddens[i] is the input of layer i; Hiddens[0] is the embeddings'
	// output. With Hidden they are HF's hidden_states.
	Hiddens []*tensor.Tensor
}

// Close frees every tensor of the output.
func (o *Output) Close() {
	tensor.Free(o.Logits, o.Hidden, o.Pooled)
	tensor.Free(o.Hiddens...)
	*o = Output{}
}

// Model is BertModel.
type Model struct {
	Config     Config
	Embeddings *Embeddings
	Layers     []*Layer
	Pooler     *layers.Linear // nil for checkpoints without one (BertForMaskedLM)
}

// New builds BertModel under p (the checkpoint's "bert" path), with the
// pooler when pooler is set, initialised as BertPreTrainedModel._init_weights.
func New(p *nn.Path, c Config, pooler bool) (m *Model, err error) {
	defer tensor.Recover(&err)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.label(), err)
	}
	m = &Model{Config: c, Embeddings: newEmbeddings(p.Sub("embeddings"), c)}
	for i := int64(0); i < c.NumHiddenLayers; i++ {
		l, err := newLayer(p.Sub("encoder").Sub("layer").Sub(strconv.FormatInt(i, 10)), c)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
	}
	if pooler {
		m.Pooler = layers.NewLinear(p.Sub("pooler").Sub("dense"), c.HiddenSize, c.HiddenSize, true, c.InitializerRange)
	}
	return m, nil
}

// Forward runs the encoder; train enables dropout.
func (m *Model) Forward(in Input, train bool) (*Output, error) {
	return m.runHead(in, train, func(*Output) {})
}

// check turns bad ids, segment ids and lengths into errors naming them.
func (m *Model) check(in Input) error {
	c := m.Config
	if in.IDs == nil || in.IDs.Dim() != 2 {
		return fmt.Errorf("%s: input_ids must be [batch, seq]", c.label())
	}
	b, t, past := tensor.Shape(in.IDs)[0], tensor.Shape(in.IDs)[1], in.Cache.Len()
	if n := past + t; n+c.firstPosition() > c.MaxPositionEmbeddings && in.PositionIDs == nil {
		if c.roberta() {
			return fmt.Errorf("%s: sequence of %d tokens exceeds max_position_embeddings %d less pad_token_id + 1 (positions start at %d)",
				c.label(), n, c.MaxPositionEmbeddings, c.firstPosition())
		}
		return fmt.Errorf("%s: sequence of %d tokens exceeds max_position_embeddings %d", c.label(), n, c.MaxPositionEmbeddings)
	}
	if in.Cache != nil && len(in.Cache.Layers) != len(m.Layers) {
		return fmt.Errorf("%s: cache has %d layers, model %d", c.label(), len(in.Cache.Layers), len(m.Layers))
	}
	if in.Mask != nil {
		want := []int64{b, past + t}
		if in.Mask.Dim() == 3 {
			want = []int64{b, t, past + t}
		}
		if sh := tensor.Shape(in.Mask); !slices.Equal(sh, want) {
			return fmt.Errorf("%s: attention_mask shape %v, want %v (cached + new keys)", c.label(), sh, want)
		}
	}
	if in.Embeds != nil {
		if sh := tensor.Shape(in.Embeds); !slices.Equal(sh, []int64{b, t, c.HiddenSize}) {
			return fmt.Errorf("%s: inputs_embeds shape %v, want [%d, %d, %d]", c.label(), sh, b, t, c.HiddenSize)
		}
	}
	if in.UniLM && past > 0 {
		return fmt.Errorf("%s: the UniLM mask needs the whole sequence; pass Mask when a cache is used", c.label())
	}
	if in.UniLM && in.TypeIDs == nil {
		return fmt.Errorf("%s: the UniLM mask needs token_type_ids", c.label())
	}
	if err := layers.CheckIDs(in.IDs, c.label()+": input_ids", "vocab_size", c.VocabSize); err != nil {
		return err
	}
	if in.TypeIDs != nil {
		if err := layers.CheckIDs(in.TypeIDs, "bert: token_type_ids", "type_vocab_size", c.TypeVocabSize); err != nil {
			return err
		}
	}
	if in.PositionIDs != nil {
		return layers.CheckIDs(in.PositionIDs, "bert: position_ids", "max_position_embeddings", c.MaxPositionEmbeddings)
	}
	return nil
}

func (m *Model) forward(in Input, train bool) *Output {
	s := tensor.NewScope()
	defer s.Close()
	past := in.Cache.Len()
	bias := s.Add(layers.Bias(s.Add(m.allowed(in)), gotch.Float)) // [B|1, 1, T, S] additive, or nil
	out := &Output{}
	x := m.Embeddings.Forward(in.IDs, in.TypeIDs, in.PositionIDs, in.Embeds, past, train) // [B, T, C]
	for i, l := range m.Layers {
		out.Hiddens = append(out.Hiddens, x)
		x = l.Forward(x, bias, in.Cache.Layer(i), train)
	}
	out.Hidden = x
	if m.Pooler != nil {
		cls := s.T(x.Select(1, 0, false))                          // [B, C]
		out.Pooled = s.T(s.Add(m.Pooler.Forward(cls)).Tanh(false)) // [B, C]
		s.Keep(out.Pooled)
	}
	return out
}

// allowed combines the padding (or explicit 3-D) mask and the UniLM mask
// into one "may attend" mask [B, 1, T|1, S], or nil.
func (m *Model) allowed(in Input) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	var mask, unilm *tensor.Tensor
	switch {
	case in.Mask == nil:
	case in.Mask.Dim() == 3: // [B, T, S] → [B, 1, T, S]
		mask = s.T(s.T(in.Mask.Ne(s.Int(0), false)).Unsqueeze(1, false))
	default:
		mask = s.Add(layers.KeyPaddingAllowed(in.Mask))
	}
	if in.UniLM {
		unilm = s.Add(layers.UniLMAllowed(in.TypeIDs))
	}
	all := layers.And(mask, unilm)
	if all != nil {
		s.Keep(all)
	}
	return all
}

// Embeddings is BertEmbeddings (or RobertaEmbeddings): word + absolute
// position + token type, then LayerNorm and dropout.
type Embeddings struct {
	Word, Position, TokenType *layers.Embedding
	Norm                      *layers.LayerNorm
	dropout                   float64
	// padPositions, for RoBERTa, numbers positions after pad (see
	// robertaPositions); BERT's are 0..T-1.
	padPositions bool
	pad          int64
}

func newEmbeddings(p *nn.Path, c Config) *Embeddings {
	std := c.InitializerRange
	e := &Embeddings{
		Word:         layers.NewEmbedding(p.Sub("word_embeddings"), c.VocabSize, c.HiddenSize, std),
		Position:     layers.NewEmbedding(p.Sub("position_embeddings"), c.MaxPositionEmbeddings, c.HiddenSize, std),
		TokenType:    layers.NewEmbedding(p.Sub("token_type_embeddings"), c.TypeVocabSize, c.HiddenSize, std),
		Norm:         layers.NewLayerNorm(p.Sub("LayerNorm"), c.HiddenSize, c.LayerNormEps),
		dropout:      c.HiddenDropoutProb,
		padPositions: c.roberta(),
		pad:          c.pad(),
	}
	if c.PadTokenID != nil {
		e.Word.Padded(*c.PadTokenID)
	}
	if e.padPositions { // RobertaEmbeddings' position_embeddings has padding_idx too (Validate: RoBERTa has a pad)
		e.Position.Padded(*c.PadTokenID)
	}
	return e
}

// robertaPositions is create_position_ids_from_input_ids: (cumsum of the
// non-pad mask + past) · mask + pad, so padding gets pad and the first
// token pad+1 whatever the padding side.
func (e *Embeddings) robertaPositions(s *tensor.Scope, ids *tensor.Tensor, past int64) *tensor.Tensor {
	mask := s.T(s.T(ids.Ne(s.Int(e.pad), false)).Totype(gotch.Int64, false)) // [B, T]
	count := s.T(s.T(mask.Cumsum(1, gotch.Int64, false)).AddScalar(s.Int(past), false))
	return s.T(s.T(count.Mul(mask, false)).AddScalar(s.Int(e.pad), false)) // [B, T]
}

// Forward maps ids [B, T] to [B, T, C]; nil typeIDs are 0, nil
// positions are past..past+T-1 and non-nil embeds [B, T, C] stand in for
// the word embeddings of ids (HF's inputs_embeds).
func (e *Embeddings) Forward(ids, typeIDs, positions, embeds *tensor.Tensor, past int64, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	shape := tensor.Shape(ids)
	dev := deviceOf(ids)
	switch {
	case positions != nil:
	case e.padPositions && embeds == nil:
		positions = e.robertaPositions(s, ids, past)
	case e.padPositions: // create_position_ids_from_inputs_embeds: no padding is known
		positions = s.T(ts.ArangeStart(s.Int(e.pad+1), s.Int(e.pad+1+shape[1]), gotch.Int64, dev)) // [T]
	default:
		positions = s.T(ts.ArangeStart(s.Int(past), s.Int(past+shape[1]), gotch.Int64, dev)) // [T]
	}
	if typeIDs == nil {
		typeIDs = s.T(ts.Zeros(shape, gotch.Int64, dev))
	}
	x := embeds
	if x == nil {
		x = s.Add(e.Word.Forward(ids)) // [B, T, C]
	}
	x = s.T(x.Add(s.Add(e.TokenType.Forward(typeIDs)), false))
	x = s.T(x.Add(s.Add(e.Position.Forward(positions)), false)) // [T, C] broadcasts over B
	x = s.Add(e.Norm.Forward(x))
	return s.Keep(s.Add(layers.Dropout(x, e.dropout, train)))
}

// Layer is BertLayer: self-attention (BertSelfAttention + BertSelfOutput)
// and the feed-forward (BertIntermediate + BertOutput), each followed by
// dropout, the residual and LayerNorm (post-LN).
type Layer struct {
	Query, Key, Value, AttnOut *layers.Linear
	AttnNorm                   *layers.LayerNorm
	Intermediate, Output       *layers.Linear
	OutNorm                    *layers.LayerNorm
	act                        layers.Activation
	heads                      int64
	dropout, attnDropout       float64
}

func newLayer(p *nn.Path, c Config) (*Layer, error) {
	act, err := layers.NewActivation(c.HiddenAct)
	if err != nil {
		return nil, fmt.Errorf("bert: field %q: %w", "hidden_act", err)
	}
	h, std := c.HiddenSize, c.InitializerRange
	self, attnOut := p.Sub("attention").Sub("self"), p.Sub("attention").Sub("output")
	return &Layer{
		Query:        layers.NewLinear(self.Sub("query"), h, h, true, std),
		Key:          layers.NewLinear(self.Sub("key"), h, h, true, std),
		Value:        layers.NewLinear(self.Sub("value"), h, h, true, std),
		AttnOut:      layers.NewLinear(attnOut.Sub("dense"), h, h, true, std),
		AttnNorm:     layers.NewLayerNorm(attnOut.Sub("LayerNorm"), h, c.LayerNormEps),
		Intermediate: layers.NewLinear(p.Sub("intermediate").Sub("dense"), h, c.IntermediateSize, true, std),
		Output:       layers.NewLinear(p.Sub("output").Sub("dense"), c.IntermediateSize, h, true, std),
		OutNorm:      layers.NewLayerNorm(p.Sub("output").Sub("LayerNorm"), h, c.LayerNormEps),
		act:          act,
		heads:        c.NumAttentionHeads,
		dropout:      c.HiddenDropoutProb,
		attnDropout:  c.AttentionDropoutProb,
	}, nil
}

// Forward maps x [B, T, C] to [B, T, C]. bias is the additive mask
// [B|1, 1, T, S] or nil; kv, when non-nil, receives this step's keys and
// values and supplies the earlier ones.
func (l *Layer) Forward(x, bias *tensor.Tensor, kv *layers.KV, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	q := s.Add(layers.SplitHeads(s.Add(l.Query.Forward(x)), l.heads)) // [B, H, T, D]
	k := s.Add(layers.SplitHeads(s.Add(l.Key.Forward(x)), l.heads))   // [B, H, T, D]
	v := s.Add(layers.SplitHeads(s.Add(l.Value.Forward(x)), l.heads)) // [B, H, T, D]
	if kv != nil {
		k, v = kv.Append(k, v) // [B, H, S, D], owned by the cache
	}
	scale := 1 / math.Sqrt(float64(tensor.Shape(q)[3]))
	ctx := s.Add(layers.MergeHeads(s.Add(layers.Attend(q, k, v, bias, scale, l.attnDropout, train)))) // [B, T, C]
	a := s.Add(layers.Dropout(s.Add(l.AttnOut.Forward(ctx)), l.dropout, train))
	h := s.Add(l.AttnNorm.Forward(s.T(a.Add(x, false)))) // [B, T, C]
	f := s.Add(l.act(s.Add(l.Intermediate.Forward(h))))  // [B, T, I]
	f = s.Add(layers.Dropout(s.Add(l.Output.Forward(f)), l.dropout, train))
	return s.Keep(s.Add(l.OutNorm.Forward(s.T(f.Add(h, false))))) // [B, T, C]
}

func deviceOf(t *tensor.Tensor) gotch.Device {
	d, err := t.Device()
	tensor.Check(err)
	return d
}
