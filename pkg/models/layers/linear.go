package layers

import (
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Linear is torch.nn.Linear: weight [out, in], optional bias [out].
type Linear struct {
	Weight, Bias *tensor.Tensor
}

// NewLinear registers weight (and bias) under p with init std (HF's
// initializer_range; 0 means PyTorch's kaiming-uniform default).
func NewLinear(p *nn.Path, in, out int64, bias bool, std float64) *Linear {
	init := nn.Normal(std)
	if std == 0 {
		init = nn.KaimingUniform(in)
	}
	l := &Linear{Weight: p.Param("weight", []int64{out, in}, init)}
	if bias {
		l.Bias = p.Param("bias", []int64{out}, nn.Zeros())
	}
	return l
}

// Forward maps [..., in] to [..., out].
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	return s.Keep(s.T(ts.Linear(x, l.Weight, tensor.Opt(l.Bias))))
}

// Conv1D is GPT-2's transposed linear layer: weight [in, out], bias [out],
// stored as HF stores it so nothing is transposed at load.
type Conv1D struct {
	Weight, Bias *tensor.Tensor
}

// NewConv1D registers weight [in, out] ~ N(0, std) and a zero bias.
func NewConv1D(p *nn.Path, in, out int64, std float64) *Conv1D {
	return &Conv1D{
		Weight: p.Param("weight", []int64{in, out}, nn.Normal(std)),
		Bias:   p.Param("bias", []int64{out}, nn.Zeros()),
	}
}

// Forward maps [..., in] to [..., out]: bias + x @ W (HF Conv1D.forward).
func (c *Conv1D) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	shape := tensor.Shape(x)
	in := shape[len(shape)-1]
	x2 := s.T(x.Reshape([]int64{-1, in}, false))
	y := s.T(c.Bias.Addmm(x2, c.Weight, false)) // [N, out]
	out := append(append([]int64{}, shape[:len(shape)-1]...), tensor.Shape(c.Weight)[1])
	return s.Keep(s.T(y.Reshape(out, false)))
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
