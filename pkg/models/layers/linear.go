package layers

import (
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Adapter adds a learned update to a projection's output: Forward returns
// base(x) + Delta(x). PEFT's LoRA layers (pkg/models/lora) implement it.
type Adapter interface {
	Delta(x *tensor.Tensor) *tensor.Tensor
}

// Hook holds what a projection may carry beyond its weights: an adapter
// and the weights packed for inference (Quantize). It is shared by pointer
// so copies of a layer (heads embed Linear by value) see the same ones.
type Hook struct {
	Adapter Adapter // nil: plain projection
	packed  *packed // nil: run Weight as stored
}

// inference returns the packed weights to use for input x: nil when there
// are none or when x records gradients, since fbgemm's kernels have no
// backward (a quantized layer still trains through its float32 weight).
func (h *Hook) inference(x *tensor.Tensor) *packed {
	if h == nil || h.packed == nil {
		return nil
	}
	grad, err := x.RequiresGrad()
	tensor.Check(err)
	if grad {
		return nil
	}
	return h.packed
}

// Plain reports whether the projection runs its stored weights alone: no
// adapter, nothing packed.
func (h *Hook) Plain() bool { return h == nil || (h.Adapter == nil && h.packed == nil) }

// StepWeights returns the weight and bias a fused decoding step reads for
// a projection whose stored ones are w and bias: those, or their
// bfloat16 packing ([out, in], the copy Forward runs once packed); ok is
// false when an adapter or another packing must run instead.
func (h *Hook) StepWeights(w, bias *tensor.Tensor) (sw, sb *tensor.Tensor, ok bool) {
	switch {
	case h.Plain():
		return w, bias, true
	case h.Adapter == nil && h.packed.prec == BF16:
		return h.packed.weight, h.packed.bias, true
	}
	return nil, nil, false
}

// add adds the adapter's output to y (owned by s), if there is one.
func (h *Hook) add(s *tensor.Scope, x, y *tensor.Tensor) *tensor.Tensor {
	if h == nil || h.Adapter == nil {
		return y
	}
	d := s.Add(h.Adapter.Delta(x))
	return s.T(y.Add(d, false))
}

// Linear is torch.nn.Linear: weight [out, in], optional bias [out].
type Linear struct {
	Weight, Bias *tensor.Tensor
	Hook         *Hook // set by NewLinear and heads.TiedLM; nil for layers built per call
}

// NewLinear registers weight (and bias) under p with init std (HF's
// initializer_range; 0 means PyTorch's kaiming-uniform default).
func NewLinear(p *nn.Path, in, out int64, bias bool, std float64) *Linear {
	init := nn.Normal(std)
	if std == 0 {
		init = nn.KaimingUniform(in)
	}
	l := &Linear{Weight: p.Param("weight", []int64{out, in}, init), Hook: &Hook{}}
	if bias {
		l.Bias = p.Param("bias", []int64{out}, nn.Zeros())
	}
	p.Store().RegisterModule(p.Prefix(), l)
	return l
}

// Forward maps [..., in] to [..., out].
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	var y *tensor.Tensor
	if q := l.Hook.inference(x); q != nil {
		y = s.Add(q.forward(x))
	} else {
		w, b := tensor.AutocastWeight(s, l.Weight), tensor.AutocastWeight(s, l.Bias)
		y = s.T(tensor.Linear(x, w, b, tensor.OutIn))
	}
	return s.Keep(l.Hook.add(s, x, y))
}

// Conv1D is GPT-2's transposed linear layer: weight [in, out], bias [out],
// stored as HF stores it so nothing is transposed at load.
type Conv1D struct {
	Weight, Bias *tensor.Tensor
	Hook         *Hook
}

// NewConv1D registers weight [in, out] ~ N(0, std) and a zero bias.
func NewConv1D(p *nn.Path, in, out int64, std float64) *Conv1D {
	c := &Conv1D{
		Weight: p.Param("weight", []int64{in, out}, nn.Normal(std)),
		Bias:   p.Param("bias", []int64{out}, nn.Zeros()),
		Hook:   &Hook{},
	}
	p.Store().RegisterModule(p.Prefix(), c)
	return c
}

// Forward maps [..., in] to [..., out]: bias + x @ W (HF Conv1D.forward).
func (c *Conv1D) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	if q := c.Hook.inference(x); q != nil {
		return s.Keep(c.Hook.add(s, x, s.Add(q.forward(x))))
	}
	w, b := tensor.AutocastWeight(s, c.Weight), tensor.AutocastWeight(s, c.Bias)
	y := s.T(tensor.Linear(x, w, b, tensor.InOut)) // bias + x @ W on the rows
	return s.Keep(c.Hook.add(s, x, y))
}

// Embedding is torch.nn.Embedding: weight [num, dim].
type Embedding struct {
	Weight  *tensor.Tensor
	padding *int64 // torch's padding_idx, nil for none
}

// NewEmbedding registers weight [num, dim] ~ N(0, std).
func NewEmbedding(p *nn.Path, num, dim int64, std float64) *Embedding {
	return &Embedding{Weight: p.Param("weight", []int64{num, dim}, nn.Normal(std))}
}

// Padded makes row idx torch's padding_idx, as HF's BertEmbeddings does
// for pad_token_id: the row starts at zero (HF _init_weights) and gets no
// gradient. Construction code: panics with *tensor.Error on failure.
func (e *Embedding) Padded(idx int64) *Embedding {
	tensor.Check(tensor.NoGrad(func() {
		row, err := e.Weight.Select(0, idx, false)
		tensor.Check(err)
		defer tensor.Free(row)
		tensor.Check(row.Zero_())
	}))
	e.padding = &idx
	return e
}

// Forward maps int64 ids [...] to [..., dim].
func (e *Embedding) Forward(ids *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	pad := int64(-1)
	if e.padding != nil {
		pad = *e.padding
	}
	return s.Keep(s.T(ts.Embedding(e.Weight, ids, pad, false, false)))
}
