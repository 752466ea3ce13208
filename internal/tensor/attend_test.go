package tensor

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// attendCase is q [B, H, T, D] (a view with the heads interleaved, as
// SplitHeads makes), k and v [B, H, S, D] (views of the first S positions
// of a cache with room for more) and a bias of biasShape or none.
type attendCase struct {
	b, h, t, s, d int64
	bias          []int64 // shape broadcastable to [B, H, T, S]; nil: none
}

func (c attendCase) String() string {
	return fmt.Sprintf("B %d H %d T %d S %d D %d bias %v", c.b, c.h, c.t, c.s, c.d, c.bias)
}

// build returns the case's tensors, owned by s. Every third bias entry is
// float32's lowest (a masked key, as layers.Bias writes it), the others
// random.
func (c attendCase) build(t *testing.T, s *Scope, seed uint64) (q, k, v, bias *Tensor) {
	t.Helper()
	q = s.T(s.Add(randTensor(t, seed, c.b, c.t, c.h, c.d)).Transpose(1, 2, false))
	room := c.s + 7
	k = s.T(s.Add(randTensor(t, seed+1, c.b, c.h, room, c.d)).Narrow(2, 0, c.s, false))
	v = s.T(s.Add(randTensor(t, seed+2, c.b, c.h, room, c.d)).Narrow(2, 0, c.s, false))
	if c.bias != nil {
		r := s.Add(randTensor(t, seed+3, c.bias...))
		vals := float32s(t, r)
		for i := range vals {
			if i%3 == 1 {
				vals[i] = -math.MaxFloat32
			}
		}
		bias = s.T(FromFloat32s(vals, c.bias, gotch.CPU))
	}
	return q, k, v, bias
}

// reference is softmax(scale·q·kᵀ + bias)·v in float64 from the tensors'
// values.
func (c attendCase) reference(t *testing.T, q, k, v, bias *Tensor, scale float64) []float64 {
	t.Helper()
	qv, kv, vv := float32s(t, q), float32s(t, k), float32s(t, v)
	var bv []float32
	if bias != nil {
		bv = float32s(t, bias)
	}
	// biasAt broadcasts the bias's trailing dimensions over [B, H, T, S]
	biasAt := func(idx [4]int64) float64 {
		if bias == nil {
			return 0
		}
		off, stride := int64(0), int64(1)
		for i := len(c.bias) - 1; i >= 0; i-- {
			if c.bias[i] != 1 {
				off += idx[4-len(c.bias)+i] * stride
			}
			stride *= c.bias[i]
		}
		return float64(bv[off])
	}
	out := make([]float64, c.b*c.h*c.t*c.d)
	for b := range c.b {
		for h := range c.h {
			bh := b*c.h + h
			for i := range c.t {
				scores := make([]float64, c.s)
				mx := math.Inf(-1)
				for j := range c.s {
					dot := 0.0
					for d := range c.d {
						dot += float64(qv[(bh*c.t+i)*c.d+d]) * float64(kv[(bh*c.s+j)*c.d+d])
					}
					scores[j] = dot*scale + biasAt([4]int64{b, h, i, j})
					mx = max(mx, scores[j])
				}
				sum := 0.0
				for j := range scores {
					scores[j] = math.Exp(scores[j] - mx)
					sum += scores[j]
				}
				for d := range c.d {
					acc := 0.0
					for j := range c.s {
						acc += scores[j] * float64(vv[(bh*c.s+j)*c.d+d])
					}
					out[(bh*c.t+i)*c.d+d] = acc / sum
				}
			}
		}
	}
	return out
}

// TestAttendFewQueries: decoding's attention kernel agrees with a float64
// softmax(scale·q·kᵀ + bias)·v at every vector width, for one and several
// queries, head sizes with vector tails, strided views of a cache, and
// biases of every broadcast shape the models pass (key padding
// [B, 1, 1, S], causal [1, 1, T, S], T5's position bias [1, H, T, S], a
// bare [S]) or none.
func TestAttendFewQueries(t *testing.T) {
	cases := []attendCase{
		{b: 1, h: 12, t: 1, s: 33, d: 64},
		{b: 3, h: 2, t: 1, s: 1, d: 64, bias: []int64{3, 1, 1, 1}},
		{b: 3, h: 2, t: 1, s: 40, d: 20, bias: []int64{3, 1, 1, 40}},
		{b: 2, h: 3, t: 5, s: 9, d: 17, bias: []int64{1, 1, 5, 9}},
		{b: 2, h: 4, t: 16, s: 70, d: 64, bias: []int64{1, 4, 16, 70}},
		{b: 1, h: 2, t: 2, s: 19, d: 8, bias: []int64{19}},
	}
	eachWidth(t, func(t *testing.T) {
		for i, c := range cases {
			s := NewScope()
			q, k, v, bias := c.build(t, s, uint64(10*i))
			scale := 1 / math.Sqrt(float64(c.d))
			var y *Tensor
			Check(NoGrad(func() { y = s.T(Attend(q, k, v, bias, scale, 0)) }))
			if got, want := Shape(y), []int64{c.b, c.h, c.t, c.d}; !slices.Equal(got, want) {
				t.Fatalf("%v: shape %v, want %v", c, got, want)
			}
			got, want := float32s(t, y), c.reference(t, q, k, v, bias, scale)
			for j := range want {
				if d := math.Abs(float64(got[j]) - want[j]); !(d <= 2e-6*(1+math.Abs(want[j]))) {
					t.Fatalf("%v: out[%d] = %g, want %g", c, j, got[j], want[j])
				}
			}
			s.Close()
		}
	})
}

// TestAttendFallsBack: what the kernel does not take is SDPA's own result
// (more than 16 queries, a query that records gradients, a boolean mask),
// bit for bit; under autocast a float32 bias meets bfloat16 queries; a row
// whose keys are all -inf is NaN as in SDPA; a size mismatch is SDPA's
// error wrapped, not a crash.
func TestAttendFallsBack(t *testing.T) {
	s := NewScope()
	defer s.Close()
	sdpa := func(q, k, v, bias *Tensor) []float32 {
		var out *Tensor
		Check(NoGrad(func() { out = s.T(ts.ScaledDotProductAttention(q, k, v, bias, 0, false, []float64{0.125})) }))
		return float32s(t, out)
	}
	attend := func(q, k, v, bias *Tensor) *Tensor {
		var out *Tensor
		Check(NoGrad(func() { out = s.T(Attend(q, k, v, bias, 0.125, 0)) }))
		return out
	}

	q, k, v, bias := attendCase{b: 2, h: 3, t: 17, s: 20, d: 64, bias: []int64{1, 1, 17, 20}}.build(t, s, 1)
	if !slices.Equal(float32s(t, attend(q, k, v, bias)), sdpa(q, k, v, bias)) {
		t.Error("17 queries: differ from SDPA")
	}

	q, k, v, bias = attendCase{b: 2, h: 3, t: 1, s: 20, d: 64, bias: []int64{2, 1, 1, 20}}.build(t, s, 2)
	leaf := s.T(s.T(q.Detach(false)).SetRequiresGrad(true, false))
	g := s.T(Attend(leaf, k, v, bias, 0.125, 0))
	if rg, err := g.RequiresGrad(); err != nil || !rg || !slices.Equal(float32s(t, g), sdpa(q, k, v, bias)) {
		t.Error("query needing a gradient: want SDPA's result, recorded for autograd")
	}

	allowed := s.T(bias.Gt(s.Float(-1), false))
	if !slices.Equal(float32s(t, attend(q, k, v, allowed)), sdpa(q, k, v, allowed)) {
		t.Error("boolean mask: differs from SDPA")
	}

	var ac *Tensor
	Check(Autocast(gotch.CPU, gotch.BFloat16, func() {
		q16 := s.T(q.Totype(gotch.BFloat16, false))
		k16, v16 := s.T(k.Totype(gotch.BFloat16, false)), s.T(v.Totype(gotch.BFloat16, false))
		ac = attend(q16, k16, v16, bias)
	}))
	if ac.DType() != gotch.BFloat16 {
		t.Errorf("bfloat16 queries, float32 bias: %v, want bfloat16", ac.DType())
	}

	masked := s.T(ts.Full([]int64{2, 1, 1, 20}, s.Float(math.Inf(-1)), gotch.Float, gotch.CPU))
	got, want := float32s(t, attend(q, k, v, masked)), sdpa(q, k, v, masked)
	for i := range got {
		if !math.IsNaN(float64(got[i])) || !math.IsNaN(float64(want[i])) {
			t.Fatalf("keys all -inf: out[%d] = %g, SDPA %g, want NaN in both", i, got[i], want[i])
		}
	}

	bad := s.T(k.Narrow(3, 0, 63, false))
	var err error
	Check(NoGrad(func() { _, err = Attend(q, bad, v, bias, 0.125, 0) }))
	if err == nil || !strings.Contains(err.Error(), "attention") {
		t.Errorf("keys of 63 for queries of 64: error %v, want SDPA's error wrapped by attention", err)
	}
}
