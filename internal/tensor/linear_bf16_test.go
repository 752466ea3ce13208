package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	"github.com/sugarme/gotch/ts"
	"golang.org/x/sys/cpu"
)

// bf16Case builds x [lead..., K], a bfloat16 weight [N, K] and b [N] or
// nil, owned by s, and returns the values: the weight as float32, and b.
func bf16Case(t *testing.T, s *Scope, lead []int64, k, n int64, bias bool) (x, w, b *Tensor, xv, wv, bv []float32) {
	t.Helper()
	x = s.Add(randTensor(t, uint64(k*n), append(append([]int64{}, lead...), k)...))
	w = s.T(s.Add(randTensor(t, uint64(k*n+1), n, k)).Totype(gotch.BFloat16, false))
	if bias {
		b = s.Add(randTensor(t, uint64(k*n+2), n))
		bv = float32s(t, b)
	}
	return x, w, b, float32s(t, x), float32s(t, s.T(w.Totype(gotch.Float, false))), bv
}

// TestLinearBF16: bfloat16 weights widened in registers agree with a
// float64 product of their values within float32 summation error, at
// every vector width, with and without bias, for row counts around the
// 4-row tiles, past 16 and sizes with tails; shape [lead..., N]. Without
// vector lanes, and past 16 rows on a CPU with bfloat16 arithmetic, ATen's
// bfloat16 matmul rounds x to bfloat16: within that rounding.
func TestLinearBF16(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		for _, lead := range [][]int64{{1}, {3}, {5}, {2, 4}, {16, 1}, {17}} {
			for _, kn := range [][2]int64{{37, 67}, {768, 300}, {16, 1}} {
				for _, bias := range []bool{false, true} {
					tol := 4e-7
					// past 16 rows, CPUs that multiply bfloat16 themselves use
					// ATen's matmul, unless the lanes are capped below AVX-512
					aten := lead[0] > 16 && ext.Lanes(0) == 16 && (cpu.X86.HasAVX512BF16 || cpu.X86.HasAMXBF16)
					if ext.Lanes(0) == 1 || aten {
						tol = 2e-2
					}
					name := fmt.Sprintf("lead %v k %d n %d bias %v", lead, kn[0], kn[1], bias)
					checkLinearBF16(t, name, lead, kn[0], kn[1], bias, tol)
				}
			}
		}
	})
}

func checkLinearBF16(t *testing.T, name string, lead []int64, k, n int64, bias bool, tol float64) {
	t.Helper()
	s := NewScope()
	defer s.Close()
	x, w, b, xv, wv, bv := bf16Case(t, s, lead, k, n, bias)
	var y *Tensor
	Check(NoGrad(func() { y = s.T(LinearBF16(x, w, b)) }))
	want := append(append([]int64{}, lead...), n)
	if got := Shape(y); fmt.Sprint(got) != fmt.Sprint(want) || y.DType() != gotch.Float {
		t.Fatalf("%s: %v %v, want float32 %v", name, y.DType(), got, want)
	}
	checkProduct(t, name, float32s(t, y), xv, wv, bv, k, n, OutIn, tol)
}

// TestLinearBF16FallsBack: an input that records gradients gets the
// widened weight through at::linear, recorded for autograd; a float32
// weight and a size mismatch are errors naming the op.
func TestLinearBF16FallsBack(t *testing.T) {
	s := NewScope()
	defer s.Close()
	x, w, b, _, _, _ := bf16Case(t, s, []int64{2}, 64, 48, true)
	xg := s.T(x.DetachCopy(false))
	s.T(xg.SetRequiresGrad(true, false))
	g := s.T(LinearBF16(xg, w, b))
	ref := s.T(ts.Linear(x, s.T(w.Totype(gotch.Float, false)), b))
	if rg, err := g.RequiresGrad(); err != nil || !rg {
		t.Errorf("input needing a gradient: the product records none")
	}
	gv, rv := float32s(t, g), float32s(t, ref)
	for i := range rv {
		if math.Abs(float64(gv[i]-rv[i])) > 1e-4*(1+math.Abs(float64(rv[i]))) {
			t.Fatalf("input needing a gradient: y[%d] = %g, want %g", i, gv[i], rv[i])
		}
	}
	for _, tc := range []struct {
		name string
		x, w *Tensor
		want string
	}{
		{"float32 weight", x, s.T(w.Totype(gotch.Float, false)), "want bfloat16"},
		{"63 inputs for 64", s.T(ts.Ones([]int64{2, 63}, gotch.Float, gotch.CPU)), w, "do not match"},
	} {
		var err error
		Check(NoGrad(func() { _, err = LinearBF16(tc.x, tc.w, b) }))
		if err == nil || !strings.Contains(err.Error(), "linear (bfloat16 weights)") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming linear (bfloat16 weights) and saying %q", tc.name, err, tc.want)
		}
	}
}
