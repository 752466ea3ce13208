package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// sdCase is one SoftmaxDropout input: scores [B, H, T, S] and an optional
// additive bias of shape biasShape (broadcast over the rest).
type sdCase struct {
	name       string
	kind       gotch.DType
	shape      []int64
	biasShape  []int64 // nil: no bias
	causal     bool    // bias [1, 1, T, T] masks the columns after each row's (causalBias)
	p, scale   float64
	tol        float64 // |Δ| against ATen's composite, relative to max(1, |value|)
	checkStats bool
}

// sdRun returns SoftmaxDropout's output, the gradient of sum(coef ⊙ out)
// with respect to the scores, and the same two through ATen's ops
// (softmax(scale·x + bias) times the mask the fused op drew, read off its
// output: an element is dropped exactly where the output is 0).
func sdRun(t *testing.T, c sdCase, seed uint64) (y, g, yRef, gRef []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	n := int64(1)
	for _, d := range c.shape {
		n *= d
	}
	vals, coef := make([]float64, n), make([]float64, n)
	for i := range vals {
		vals[i], coef[i] = rng.NormFloat64()*3, rng.NormFloat64()
	}
	s := NewScope()
	defer s.Close()
	var bias *Tensor
	switch {
	case c.causal:
		if c.shape[2] != c.shape[3] {
			t.Fatalf("causal case %v: want square scores", c.shape)
		}
		bias = causalBias(t, c.shape[2])
	case c.biasShape != nil:
		m := int64(1)
		for _, d := range c.biasShape {
			m *= d
		}
		bv := make([]float64, m)
		for i := range bv {
			bv[i] = rng.NormFloat64()
			if i%5 == 0 {
				bv[i] = -1e9 // masked
			}
		}
		bias = s.T(s.T(s.T(ts.OfSlice(bv)).Totype(gotch.Float, false)).Reshape(c.biasShape, false))
	}
	leaf := func() *Tensor { return leafOf(s, vals, c.kind, c.shape) }
	cf := s.T(s.T(s.T(ts.OfSlice(coef)).Totype(c.kind, false)).Reshape(c.shape, false))
	grad := func(x, out *Tensor) []float64 {
		return gradOf(t, s, x, s.T(s.T(out.Mul(cf, false)).Sum(gotch.Float, false)))
	}
	x := leaf()
	if !SoftmaxDropoutApplies(x, bias) {
		t.Fatal("SoftmaxDropoutApplies = false")
	}
	Seed(int64(seed))
	out := s.T(SoftmaxDropout(x, bias, c.scale, c.p))
	y, err := Float64s(out)
	if err != nil {
		t.Fatal(err)
	}
	g = grad(x, out)

	xr := leaf()
	z := s.T(xr.MulScalar(s.Float(c.scale), false))
	if bias != nil {
		z = s.T(z.Add(s.T(bias.Totype(c.kind, false)), false))
	}
	ref := s.T(z.Softmax(-1, gotch.Float, false))
	keep := s.T(s.T(s.T(out.Ne(s.Float(0), false)).Totype(gotch.Float, false)).MulScalar(s.Float(1/(1-c.p)), false))
	ref = s.T(s.T(ref.Mul(keep, false)).Totype(c.kind, false))
	if yRef, err = Float64s(ref); err != nil {
		t.Fatal(err)
	}
	return y, g, yRef, grad(xr, ref)
}

// TestSoftmaxDropoutMatchesATen: values and gradients against ATen's
// softmax times the same mask, with and without dropout, with broadcast
// biases; the dropped fraction is p and the mask differs row to row; at
// every vector width.
func TestSoftmaxDropoutMatchesATen(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		for _, c := range []sdCase{
			{"float32 no dropout", gotch.Float, []int64{2, 3, 5, 37}, nil, false, 0, 0.125, 1e-6, false},
			{"float32 bias [B,1,T,S]", gotch.Float, []int64{2, 3, 5, 37}, []int64{2, 1, 5, 37}, false, 0.1, 0.3, 1e-6, false},
			{"float32 bias [1,1,T,S]", gotch.Float, []int64{2, 2, 64, 64}, []int64{1, 1, 64, 64}, false, 0.25, 0.125, 1e-6, true},
			{"bfloat16 causal-sized", gotch.BFloat16, []int64{4, 4, 64, 256}, []int64{4, 1, 1, 256}, false, 0.1, 0.125, 1.0 / 128, true},
			// whole vectors of masked columns: the kernels skip them
			{"float32 causal", gotch.Float, []int64{2, 3, 67, 67}, nil, true, 0.1, 0.125, 1e-6, false},
			{"bfloat16 causal", gotch.BFloat16, []int64{2, 2, 256, 256}, nil, true, 0.1, 0.125, 1.0 / 128, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				y, g, yr, gr := sdRun(t, c, 11)
				dropped, worst := 0, 0.0
				for i := range y {
					e := max(math.Abs(y[i]-yr[i])/max(1, math.Abs(yr[i])), math.Abs(g[i]-gr[i])/max(1, math.Abs(gr[i])))
					worst = max(worst, e)
					if e > c.tol {
						t.Fatalf("[%d]: out %g, ATen %g; grad %g, ATen %g", i, y[i], yr[i], g[i], gr[i])
					}
					if y[i] == 0 {
						dropped++
					}
				}
				t.Logf("worst %.3g; dropped %d of %d", worst, dropped, len(y))
				if !c.checkStats {
					return
				}
				// masked columns (bias −1e9) give 0 too: count among the rest
				frac := float64(dropped) / float64(len(y))
				if c.biasShape != nil {
					frac = 1 - (1-frac)/(1-maskedShare(c))
				}
				if sd := math.Sqrt(c.p * (1 - c.p) / float64(len(y))); math.Abs(frac-c.p) > 6*sd+1e-3 {
					t.Fatalf("dropped fraction %.4f, want %.2f", frac, c.p)
				}
				if same := sameRows(y, int(c.shape[3])); same > 0 {
					t.Fatalf("%d rows repeat the previous row's dropout pattern", same)
				}
			})
		}
	})
}

// maskedShare is the share of columns a −1e9 bias entry masks (every 5th
// bias value, as sdRun writes them).
func maskedShare(c sdCase) float64 {
	m := int64(1)
	for _, d := range c.biasShape {
		m *= d
	}
	return float64((m+4)/5) / float64(m)
}

// sameRows counts rows of width w whose zero pattern equals the row before.
func sameRows(y []float64, w int) int {
	same := 0
	for r := w; r+w <= len(y); r += w {
		eq := true
		for j := range w {
			if (y[r+j] == 0) != (y[r-w+j] == 0) {
				eq = false
				break
			}
		}
		if eq {
			same++
		}
	}
	return same
}

// TestSoftmaxDropoutSeeded: the same seed draws the same mask, another
// seed another one.
func TestSoftmaxDropoutSeeded(t *testing.T) {
	c := sdCase{"", gotch.Float, []int64{1, 2, 16, 64}, nil, false, 0.5, 1, 1e-6, false}
	a, _, _, _ := sdRun(t, c, 3)
	b, _, _, _ := sdRun(t, c, 3)
	d, _, _, _ := sdRun(t, c, 4) // other inputs too; compare masks only
	same, other := 0, 0
	for i := range a {
		if (a[i] == 0) == (b[i] == 0) {
			same++
		}
		if (a[i] == 0) == (d[i] == 0) {
			other++
		}
	}
	if same != len(a) {
		t.Fatalf("same seed: %d of %d mask entries agree", same, len(a))
	}
	if other > len(a)*6/10 {
		t.Fatalf("another seed: %d of %d mask entries agree (p = 0.5: expect about half)", other, len(a))
	}
}

// TestSoftmaxDropoutRejects: bad shapes and p give errors, not crashes.
func TestSoftmaxDropoutRejects(t *testing.T) {
	s := NewScope()
	defer s.Close()
	x3 := s.T(ts.Zeros([]int64{2, 3, 4}, gotch.Float, gotch.CPU))
	x4 := s.T(ts.Zeros([]int64{1, 1, 2, 4}, gotch.Float, gotch.CPU))
	bad := s.T(ts.Zeros([]int64{3, 4}, gotch.Float, gotch.CPU))
	for _, c := range []struct {
		name    string
		x, bias *Tensor
		p       float64
	}{
		{"3-D scores", x3, nil, 0.1},
		{"p = 1", x4, nil, 1},
		{"negative p", x4, nil, -0.1},
		{"bias not broadcastable", x4, bad, 0.1},
	} {
		if y, err := SoftmaxDropout(c.x, c.bias, 1, c.p); err == nil {
			Free(y)
			t.Errorf("%s: want an error", c.name)
		}
	}
}

// dropRun returns Dropout's output and the gradient of sum(out) for n
// values 1..n of kind, drawn after Seed(seed).
func dropRun(t *testing.T, kind gotch.DType, n int64, p float64, seed int64) (y, g []float64) {
	t.Helper()
	s := NewScope()
	defer s.Close()
	x := s.T(s.T(s.T(ts.ArangeStart(s.Int(1), s.Int(n+1), gotch.Float, gotch.CPU)).Totype(kind, false)).SetRequiresGrad(true, false))
	if !extFloat(x) {
		t.Fatal("extFloat = false: Dropout would take ATen's op")
	}
	Seed(seed)
	out, err := Dropout(x, p)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(out)
	if k := out.DType(); k != kind {
		t.Fatalf("output %v, want %v", k, kind)
	}
	if y, err = Float64s(out); err != nil {
		t.Fatal(err)
	}
	return y, gradOf(t, s, x, s.T(out.Sum(gotch.Float, false)))
}

// TestDropoutKeepsAndScales: each element is 0 or x/(1−p) (rounded to the
// dtype), its gradient 0 or 1/(1−p) at the same places, the dropped share
// is p, a seed repeats the mask and another seed changes it, and every
// vector width draws the same mask.
func TestDropoutKeepsAndScales(t *testing.T) {
	const n = 50000 + 13 // a tail at every width
	var first []float64
	eachWidth(t, func(t *testing.T) {
		for _, c := range []struct {
			kind gotch.DType
			p    float64
		}{{gotch.Float, 0.1}, {gotch.BFloat16, 0.1}, {gotch.Float, 0.5}, {gotch.Float, 0}} {
			t.Run(fmt.Sprintf("%v p=%v", c.kind, c.p), func(t *testing.T) {
				y, g := dropRun(t, c.kind, n, c.p, 42)
				scale := float64(float32(1 / (1 - c.p)))
				dropped := 0
				for i := range y {
					x := float64(i + 1)
					if c.kind == gotch.BFloat16 {
						x = bf16(x)
					}
					want := x * scale
					if c.kind == gotch.BFloat16 {
						want = bf16(float64(float32(x) * float32(scale)))
					} else {
						want = float64(float32(x) * float32(scale))
					}
					switch {
					case y[i] == 0 && g[i] == 0:
						dropped++
					case y[i] == want && g[i] == bf16or(c.kind, scale):
					default:
						t.Fatalf("[%d] = %g, gradient %g; want 0 and 0 or %g and %g", i, y[i], g[i], want, scale)
					}
				}
				if sd := math.Sqrt(c.p * (1 - c.p) / n); math.Abs(float64(dropped)/n-c.p) > 6*sd {
					t.Fatalf("dropped %d of %d, want a share of %v", dropped, n, c.p)
				}
				if c.kind == gotch.Float && c.p == 0.1 {
					if first == nil {
						first = y
					} else if !slices.Equal(first, y) {
						t.Fatal("another vector width drew another mask")
					}
					again, _ := dropRun(t, c.kind, n, c.p, 42)
					other, _ := dropRun(t, c.kind, n, c.p, 43)
					if !slices.Equal(again, y) || slices.Equal(other, y) {
						t.Fatal("the mask does not follow the seed")
					}
				}
			})
		}
	})
}

// bf16 rounds v to bfloat16 (nearest even).
func bf16(v float64) float64 {
	u := math.Float32bits(float32(v))
	u = (u + 0x7fff + (u>>16)&1) &^ 0xffff
	return float64(math.Float32frombits(u))
}

// bf16or is v rounded to kind's precision.
func bf16or(kind gotch.DType, v float64) float64 {
	if kind == gotch.BFloat16 {
		return bf16(v)
	}
	return v
}

func TestDropoutRejectsP(t *testing.T) {
	s := NewScope()
	defer s.Close()
	x := s.T(ts.Ones([]int64{4}, gotch.Float, gotch.CPU))
	for _, p := range []float64{1, -0.1, 1.5} {
		if y, err := Dropout(x, p); err == nil || !strings.Contains(err.Error(), "want 0 ≤ p < 1") {
			Free(y)
			t.Errorf("p = %v: error %v", p, err)
		}
	}
}
