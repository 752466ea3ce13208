package t5

import (
	"math"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Block is T5Block: layer.0 self-attention, layer.1 cross-attention
// (decoder only), then the feed-forward (layer.1 or layer.2). Each sublayer
// is x + dropout(sublayer(rms_norm(x))).
type Block struct {
	SelfNorm  *layers.RMSNorm
	Self      *Attention
	CrossNorm *layers.RMSNorm // nil in the encoder
	Cross     *Attention
	FFNorm    *layers.RMSNorm
	FF        *FeedForward
	dropout   float64
}

func newBlock(p *nn.Path, c Config, decoder bool) (*Block, error) {
	l := p.Sub("layer")
	b := &Block{
		SelfNorm: layers.NewRMSNorm(l.Sub("0").Sub("layer_norm"), c.DModel, c.LayerNormEpsilon),
		Self:     newAttention(l.Sub("0").Sub("SelfAttention"), c),
		dropout:  c.DropoutRate,
	}
	ff := l.Sub("1")
	if decoder {
		b.CrossNorm = layers.NewRMSNorm(l.Sub("1").Sub("layer_norm"), c.DModel, c.LayerNormEpsilon)
		b.Cross = newAttention(l.Sub("1").Sub("EncDecAttention"), c)
		ff = l.Sub("2")
	}
	b.FFNorm = layers.NewRMSNorm(ff.Sub("layer_norm"), c.DModel, c.LayerNormEpsilon)
	var err error
	b.FF, err = newFeedForward(ff.Sub("DenseReluDense"), c)
	return b, err
}

// Forward maps x [B, T, C] to [B, T, C]; see Stack.forward for the biases.
// selfKV and crossKV are the block's cache entries or nil.
func (b *Block) Forward(x, self, enc, cross *tensor.Tensor, selfKV, crossKV *layers.KV, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	a := s.Add(b.Self.Forward(s.Add(b.SelfNorm.Forward(x)), nil, self, selfKV, train))
	x = s.T(x.Add(s.Add(layers.Dropout(a, b.dropout, train)), false))
	if b.Cross != nil {
		a = s.Add(b.Cross.Forward(s.Add(b.CrossNorm.Forward(x)), enc, cross, crossKV, train))
		x = s.T(x.Add(s.Add(layers.Dropout(a, b.dropout, train)), false))
	}
	f := s.Add(b.FF.Forward(s.Add(b.FFNorm.Forward(x)), train))
	return s.Keep(s.T(x.Add(s.Add(layers.Dropout(f, b.dropout, train)), false)))
}

// Attention is T5Attention without the relative bias (the Stack owns it):
// q, k, v, o without biases, inner width H·d_kv, no 1/√d_kv scaling.
type Attention struct {
	Q, K, V, O *layers.Linear
	heads      int64
	dropout    float64
}

func newAttention(p *nn.Path, c Config) *Attention {
	f, d, inner := c.InitializerFactor, float64(c.DModel), c.Inner()
	return &Attention{
		Q:       layers.NewLinear(p.Sub("q"), c.DModel, inner, false, f/math.Sqrt(d*float64(c.DKV))),
		K:       layers.NewLinear(p.Sub("k"), c.DModel, inner, false, f/math.Sqrt(d)),
		V:       layers.NewLinear(p.Sub("v"), c.DModel, inner, false, f/math.Sqrt(d)),
		O:       layers.NewLinear(p.Sub("o"), inner, c.DModel, false, f/math.Sqrt(float64(inner))),
		heads:   c.NumHeads,
		dropout: c.DropoutRate,
	}
}

// Forward attends from x [B, T, C] to x itself (enc nil; kv grows by T)
// or to the encoder output enc [B, S, C] (kv, once filled, replaces enc's
// projections). bias is additive, broadcastable to [B, H, T, S].
func (a *Attention) Forward(x, enc, bias *tensor.Tensor, kv *layers.KV, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	q := s.Add(layers.SplitHeads(s.Add(a.Q.Forward(x)), a.heads)) // [B, H, T, D]
	var k, v *tensor.Tensor
	if enc != nil && kv != nil { // cross-attention, cached once filled
		k, v = kv.Tensors()
	}
	if k == nil {
		src := x
		if enc != nil {
			src = enc
		}
		k = s.Add(layers.SplitHeads(s.Add(a.K.Forward(src)), a.heads)) // [B, H, S, D]
		v = s.Add(layers.SplitHeads(s.Add(a.V.Forward(src)), a.heads))
		if kv != nil {
			k, v = kv.Append(k, v) // owned by the cache
		}
	}
	ctx := s.Add(layers.Attend(q, k, v, bias, 1, a.dropout, train)) // [B, H, T, D]
	return s.Keep(s.Add(a.O.Forward(s.Add(layers.MergeHeads(ctx)))))
}

// FeedForward is T5DenseActDense (wi, act, wo) or, gated,
// T5DenseGatedActDense: wo(act(wi_0 x) · wi_1 x). Dropout precedes wo.
type FeedForward struct {
	Wi, Wi1, Wo *layers.Linear // Wi is wi or wi_0; Wi1 is nil unless gated
	act         layers.Activation
	dropout     float64
}

func newFeedForward(p *nn.Path, c Config) (*FeedForward, error) {
	name, gated, err := c.Activation()
	if err != nil {
		return nil, err
	}
	act, err := layers.NewActivation(name)
	if err != nil {
		return nil, err
	}
	in := c.InitializerFactor / math.Sqrt(float64(c.DModel))
	ff := &FeedForward{act: act, dropout: c.DropoutRate}
	if gated {
		ff.Wi = layers.NewLinear(p.Sub("wi_0"), c.DModel, c.DFF, false, in)
		ff.Wi1 = layers.NewLinear(p.Sub("wi_1"), c.DModel, c.DFF, false, in)
	} else {
		ff.Wi = layers.NewLinear(p.Sub("wi"), c.DModel, c.DFF, false, in)
	}
	ff.Wo = layers.NewLinear(p.Sub("wo"), c.DFF, c.DModel, false, c.InitializerFactor/math.Sqrt(float64(c.DFF)))
	return ff, nil
}

// Forward maps [B, T, C] to [B, T, C].
func (f *FeedForward) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	h := s.Add(f.act(s.Add(f.Wi.Forward(x)))) // [B, T, F]
	if f.Wi1 != nil {
		h = s.T(h.Mul(s.Add(f.Wi1.Forward(x)), false))
	}
	h = s.Add(layers.Dropout(h, f.dropout, train))
	return s.Keep(s.Add(f.Wo.Forward(h)))
}
