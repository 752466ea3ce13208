package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	"github.com/sugarme/gotch/ts"
)

// eachWidth runs f as a subtest at every vector width the gotch patch's
// kernels have on this CPU (16 lanes with AVX-512, 8 with AVX2, 1), so
// that a CPU with AVX-512 tests the AVX2 and scalar code too.
func eachWidth(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer ext.Lanes(ext.Lanes(0))
	seen := map[int]bool{}
	for _, w := range []int{16, 8, 1} {
		got := ext.Lanes(w)
		if !seen[got] {
			seen[got] = true
			t.Run(fmt.Sprintf("lanes %d", got), f)
		}
	}
}

// TestLanesFollowAtenCapability: ATEN_CPU_CAPABILITY, read once when the
// process starts, caps the kernels' width as it caps ATen's, so that
// benchmarks of a CPU without AVX-512 cap both with one variable.
func TestLanesFollowAtenCapability(t *testing.T) {
	if os.Getenv("GOTRL_LANES_HELPER") != "" {
		fmt.Printf("lanes=%d\n", ext.Lanes(0))
		return
	}
	defer ext.Lanes(ext.Lanes(0))
	widest := ext.Lanes(16)
	tests := []struct {
		capability string
		want       int
	}{
		{"", widest},
		{"avx512", widest},
		{"avx2", min(widest, 8)},
		{"default", 1},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLanesFollowAtenCapability$", "-test.v")
		cmd.Env = append(os.Environ(), "GOTRL_LANES_HELPER=1", "ATEN_CPU_CAPABILITY="+tt.capability)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ATEN_CPU_CAPABILITY=%q: %v\n%s", tt.capability, err, out)
		}
		if want := fmt.Sprintf("lanes=%d\n", tt.want); !strings.Contains(string(out), want) {
			t.Errorf("ATEN_CPU_CAPABILITY=%q: want %q in\n%s", tt.capability, want, out)
		}
	}
}

// geluRef is GELU's tanh approximation and its derivative in float64.
func geluRef(x float64) (y, dy float64) {
	const c, k = 0.7978845608028654, 0.044715 // √(2/π)
	th := math.Tanh(c * (x + k*x*x*x))
	y = 0.5 * x * (1 + th)
	dy = 0.5*(1+th) + 0.5*x*(1-th*th)*c*(1+3*k*x*x)
	return y, dy
}

// geluRun returns GELU's output and the gradient of sum(coef ⊙ GELU(x))
// for x of kind, through GeluTanh (fused) or ATen's gelu. transpose feeds
// the kernel a non-contiguous view.
func geluRun(t *testing.T, vals, coef []float64, kind gotch.DType, fused, transpose bool) (y, grad []float64) {
	t.Helper()
	s := NewScope()
	defer s.Close()
	x := s.T(s.T(s.T(ts.OfSlice(vals)).Totype(kind, false)).SetRequiresGrad(true, false))
	in := x
	if transpose {
		in = s.T(s.T(x.Reshape([]int64{2, -1}, false)).Transpose(0, 1, false))
	}
	var out *Tensor
	var err error
	if fused {
		if !extFloat(in) {
			t.Fatalf("extFloat(%v) = false", kind)
		}
		out, err = GeluTanh(in)
	} else {
		out, err = in.Gelu("tanh", false)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Add(out)
	if transpose {
		out = s.T(s.T(out.Transpose(0, 1, false)).Reshape([]int64{-1}, false))
	}
	c := s.T(s.T(ts.OfSlice(coef)).Totype(kind, false))
	if y, err = Float64s(out); err != nil {
		t.Fatal(err)
	}
	return y, gradOf(t, s, x, s.T(s.T(out.Mul(c, false)).Sum(kind, false)))
}

// TestGeluTanhMatchesATen: the one-exponential kernel against float64
// math and against ATen's gelu(approximate="tanh"), forward and backward,
// on float32 and bfloat16, over a range that reaches both saturations,
// with a length that exercises the vector lanes and the scalar tail, at
// every vector width.
func TestGeluTanhMatchesATen(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 4*1024 + 38 // even (the transposed case splits it in 2 rows)
		vals, coef := make([]float64, n), make([]float64, n)
		for i := range vals {
			vals[i] = -12 + 24*float64(i)/n
			if i%3 == 0 {
				vals[i] = rng.NormFloat64() * 2
			}
			coef[i] = rng.NormFloat64()
		}
		for _, c := range []struct {
			name      string
			kind      gotch.DType
			transpose bool
			// largest error against float64 math and largest difference from
			// ATen's result, relative to max(1, |value|)
			tol, atenTol float64
		}{
			// ATen's float32 gradient loses ~1e-6 in 1 − tanh² near saturation
			{"float32", gotch.Float, false, 5e-7, 3e-6},
			{"float32 non-contiguous", gotch.Float, true, 5e-7, 3e-6},
			// one bfloat16 rounding
			{"bfloat16", gotch.BFloat16, false, 1.0 / 256, 1.0 / 256},
		} {
			t.Run(c.name, func(t *testing.T) {
				// the inputs and coefficients as the kind holds them
				xs, cs := roundTo(t, vals, c.kind), roundTo(t, coef, c.kind)
				y, g := geluRun(t, xs, cs, c.kind, true, c.transpose)
				ya, ga := geluRun(t, xs, cs, c.kind, false, c.transpose)
				var worst, worstATen float64
				differ := 0
				for i, x := range xs {
					ry, rd := geluRef(x)
					rg := rd * cs[i]
					e := max(math.Abs(y[i]-ry)/max(1, math.Abs(ry)), math.Abs(g[i]-rg)/max(1, math.Abs(rg)))
					worst = max(worst, e)
					if e > c.tol {
						t.Fatalf("x=%g: gelu %g (want %g), grad %g (want %g)", x, y[i], ry, g[i], rg)
					}
					ea := max(math.Abs(y[i]-ya[i])/max(1, math.Abs(ya[i])), math.Abs(g[i]-ga[i])/max(1, math.Abs(ga[i])))
					worstATen = max(worstATen, ea)
					if ea > c.atenTol {
						t.Fatalf("x=%g: gelu %g, ATen %g; grad %g, ATen %g", x, y[i], ya[i], g[i], ga[i])
					}
					// below x ≈ −5 ATen's 1 + tanh(u) cancels to 0; the kernel
					// returns the true value, which is below 1e-6 there
					if math.Abs(y[i]-ya[i]) > 1e-6 || math.Abs(g[i]-ga[i]) > 1e-6 {
						differ++
					}
				}
				// outputs and gradients equal ATen's but for the last bit or
				// two, except on a rare bfloat16 rounding boundary
				if differ > n/100 {
					t.Fatalf("%d of %d values differ from ATen's", differ, n)
				}
				t.Logf("worst error %.3g (vs float64), %.3g (vs ATen); %d of %d values differ from ATen's", worst, worstATen, differ, n)
			})
		}
	})
}

// TestGeluTanhSpecialValues: infinities, NaN and signed zeros give what
// ATen gives (including its NaN for GELU(−inf) and for both gradients at
// ±inf); large negative inputs give 0.
func TestGeluTanhSpecialValues(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		vals := []float64{math.Inf(1), math.Inf(-1), math.NaN(), 0, math.Copysign(0, -1), 100, -100, 1e30, -1e30}
		coef := make([]float64, len(vals))
		for i := range coef {
			coef[i] = 1
		}
		for _, kind := range []gotch.DType{gotch.Float, gotch.BFloat16} {
			y, g := geluRun(t, vals, coef, kind, true, false)
			ya, ga := geluRun(t, vals, coef, kind, false, false)
			for i, x := range vals {
				same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
				if !same(y[i], ya[i]) || !same(g[i], ga[i]) {
					t.Errorf("%v x=%g: gelu %g, grad %g; ATen %g, %g", kind, x, y[i], g[i], ya[i], ga[i])
				}
			}
		}
	})
}

// roundTo returns vals as a tensor of kind holds them.
func roundTo(t *testing.T, vals []float64, kind gotch.DType) []float64 {
	t.Helper()
	s := NewScope()
	defer s.Close()
	out, err := Float64s(s.T(s.T(ts.OfSlice(vals)).Totype(kind, false)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGeluTanhSameAtEveryWidth: every vector width computes each element
// by the same operations, so outputs and gradients agree bit for bit.
func TestGeluTanhSameAtEveryWidth(t *testing.T) {
	defer ext.Lanes(ext.Lanes(0))
	vals, coef := make([]float64, 1000), make([]float64, 1000)
	for i := range vals {
		vals[i], coef[i] = -9+18*float64(i)/1000, 1
	}
	var y0, g0 []float64
	for _, w := range []int{16, 8, 1} {
		got := ext.Lanes(w)
		y, g := geluRun(t, vals, coef, gotch.Float, true, false)
		if y0 == nil {
			y0, g0 = y, g
			continue
		}
		for i := range y {
			if y[i] != y0[i] || g[i] != g0[i] {
				t.Fatalf("lanes %d, x=%g: gelu %v grad %v; widest %v %v", got, vals[i], y[i], g[i], y0[i], g0[i])
			}
		}
	}
}
