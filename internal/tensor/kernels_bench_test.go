package tensor

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// The fused kernels at the shapes of a 12×768 GPT-2 training step (batch
// 8×256, bf16 autocast): GELU over the MLP's [2048, 3072] activations and
// softmax-dropout over one layer's [8, 12, 256, 256] scores, forward and
// backward. BenchmarkCopyBF16 is the memory floor: one read and one write
// of the GELU tensor.

func benchInput(b *testing.B, shape []int64) *Tensor {
	b.Helper()
	x, err := ts.Randn(shape, gotch.Float, gotch.CPU)
	if err != nil {
		b.Fatal(err)
	}
	defer Free(x)
	y, err := x.Totype(gotch.BFloat16, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { Free(y) })
	return y
}

func BenchmarkCopyBF16(b *testing.B) {
	x := benchInput(b, []int64{2048, 3072})
	y, err := x.ZerosLike(false)
	if err != nil {
		b.Fatal(err)
	}
	defer Free(y)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := CopyInto(y, x); err != nil {
			b.Fatal(err)
		}
	}
}

// benchOp times f(x), and its backward from sum(f(x)) when backward is
// set.
func benchOp(b *testing.B, shape []int64, backward bool, f func(x *Tensor) (*Tensor, error)) {
	x := benchInput(b, shape)
	if backward {
		if _, err := x.SetRequiresGrad(true, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		y, err := f(x)
		if err != nil {
			b.Fatal(err)
		}
		if backward {
			s := NewScope()
			if err := s.T(y.Sum(gotch.Float, false)).Backward(); err != nil {
				b.Fatal(err)
			}
			s.Close()
			if err := GradsToNone([]*Tensor{x}); err != nil {
				b.Fatal(err)
			}
		}
		Free(y)
	}
}

var (
	geluShape  = []int64{2048, 3072}
	scoreShape = []int64{8, 12, 256, 256}
)

func BenchmarkGeluTanh(b *testing.B) { benchOp(b, geluShape, false, GeluTanh) }
func BenchmarkGeluTanhBackward(b *testing.B) {
	benchOp(b, geluShape, true, GeluTanh)
}
func BenchmarkGeluTanhATen(b *testing.B) {
	benchOp(b, geluShape, false, func(x *Tensor) (*Tensor, error) { return x.Gelu("tanh", false) })
}
func BenchmarkSoftmaxDropout(b *testing.B) {
	benchOp(b, scoreShape, false, func(x *Tensor) (*Tensor, error) { return SoftmaxDropout(x, nil, 0.125, 0.1) })
}
func BenchmarkSoftmaxDropoutBackward(b *testing.B) {
	benchOp(b, scoreShape, true, func(x *Tensor) (*Tensor, error) { return SoftmaxDropout(x, nil, 0.125, 0.1) })
}

// The Causal variants add GPT-2's mask (finfo.min after each row's
// position), whose masked columns the kernels skip.
func BenchmarkSoftmaxDropoutCausal(b *testing.B) {
	bias := causalBias(b, scoreShape[2])
	benchOp(b, scoreShape, false, func(x *Tensor) (*Tensor, error) { return SoftmaxDropout(x, bias, 0.125, 0.1) })
}
func BenchmarkSoftmaxDropoutCausalBackward(b *testing.B) {
	bias := causalBias(b, scoreShape[2])
	benchOp(b, scoreShape, true, func(x *Tensor) (*Tensor, error) { return SoftmaxDropout(x, bias, 0.125, 0.1) })
}

// causalBias is GPT-2's mask as an additive bias [1, 1, t, t]: 0 up to
// each row's position, finfo.min after.
func causalBias(b testing.TB, t int64) *Tensor {
	b.Helper()
	s := NewScope()
	defer s.Close()
	ones := s.T(ts.Ones([]int64{1, 1, t, t}, gotch.Float, gotch.CPU))
	bias, err := s.T(ones.Triu(1, false)).MulScalar(s.Float(-math.MaxFloat32), false)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { Free(bias) })
	return bias
}

// benchCrossEntropy times the loss of a 12×768 step's logits [2040, 21128]
// (bfloat16) and its backward, through ce.
func benchCrossEntropy(b *testing.B, ce func(x, target *Tensor) (*Tensor, error)) {
	x := benchInput(b, []int64{2040, 21128})
	if _, err := x.SetRequiresGrad(true, false); err != nil {
		b.Fatal(err)
	}
	target, err := ts.Randint(21128, []int64{2040}, gotch.Int64, gotch.CPU)
	if err != nil {
		b.Fatal(err)
	}
	defer Free(target)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := ce(x, target)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Backward(); err != nil {
			b.Fatal(err)
		}
		Free(l)
		if err := GradsToNone([]*Tensor{x}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCrossEntropy(b *testing.B) {
	benchCrossEntropy(b, func(x, target *Tensor) (*Tensor, error) {
		l, _, _, err := CrossEntropy(x, target, -100)
		return l, err
	})
}

// BenchmarkCrossEntropyATen is autocast's route: a float32 copy of the
// logits, ATen's cross-entropy, the token accuracy's amax pass.
func BenchmarkCrossEntropyATen(b *testing.B) {
	benchCrossEntropy(b, func(x, target *Tensor) (*Tensor, error) {
		x32, err := x.Totype(gotch.Float, false)
		if err != nil {
			return nil, err
		}
		defer Free(x32)
		l, _, _, err := crossEntropyATen(x32, target, -100)
		return l, err
	})
}

// Dropout on one residual branch of the step, [8, 256, 768] bfloat16
// (forward; backward is the same pass again): the fused op and ATen's.
func BenchmarkDropout(b *testing.B) {
	benchOp(b, []int64{8, 256, 768}, false, func(x *Tensor) (*Tensor, error) { return Dropout(x, 0.1) })
}
func BenchmarkDropoutATen(b *testing.B) {
	benchOp(b, []int64{8, 256, 768}, false, func(x *Tensor) (*Tensor, error) { return ts.Dropout(x, 0.1, true) })
}
