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

// linearCase builds x [lead..., K], w in layout and b [N] (or nil) with
// randTensor's seeded values, owned by s, and returns their values too.
func linearCase(t *testing.T, s *Scope, lead []int64, k, n int64, layout WeightLayout, bias bool) (x, w, b *Tensor, xv, wv, bv []float32) {
	t.Helper()
	x = s.Add(randTensor(t, uint64(k*n), append(append([]int64{}, lead...), k)...))
	wShape := []int64{n, k}
	if layout == InOut {
		wShape = []int64{k, n}
	}
	w = s.Add(randTensor(t, uint64(k*n+1), wShape...))
	if bias {
		b = s.Add(randTensor(t, uint64(k*n+2), n))
		bv = float32s(t, b)
	}
	return x, w, b, float32s(t, x), float32s(t, w), bv
}

// TestLinearFewRows: the few-rows kernels agree with a float64 product
// within float32 summation error, at every vector width, both weight
// layouts, with and without bias, row counts around the 4- and 8-row
// tiles and sizes with tails; shape [lead..., N].
func TestLinearFewRows(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		for _, layout := range []WeightLayout{OutIn, InOut} {
			for _, lead := range [][]int64{{1}, {3}, {5}, {7}, {2, 4}, {11}, {16, 1}} {
				for _, kn := range [][2]int64{{37, 67}, {768, 300}, {16, 1}} {
					for _, bias := range []bool{false, true} {
						name := fmt.Sprintf("layout %d lead %v k %d n %d bias %v", layout, lead, kn[0], kn[1], bias)
						checkLinear(t, name, lead, kn[0], kn[1], layout, bias)
					}
				}
			}
		}
	})
}

func checkLinear(t *testing.T, name string, lead []int64, k, n int64, layout WeightLayout, bias bool) {
	t.Helper()
	s := NewScope()
	defer s.Close()
	x, w, b, xv, wv, bv := linearCase(t, s, lead, k, n, layout, bias)
	var y *Tensor
	Check(NoGrad(func() { y = s.T(Linear(x, w, b, layout)) }))
	want := append(append([]int64{}, lead...), n)
	if got := Shape(y); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: shape %v, want %v", name, got, want)
	}
	checkProduct(t, name, float32s(t, y), xv, wv, bv, k, n, layout, 4e-7)
}

// checkProduct compares got [rows, n] with the float64 product of xv
// [rows, k] and wv (in layout), plus bv when there is one: within
// tol·k·Σ|x·w|, float32 summation error for tol 4e-7.
func checkProduct(t *testing.T, name string, got, xv, wv, bv []float32, k, n int64, layout WeightLayout, tol float64) {
	t.Helper()
	rows := int64(len(xv)) / k
	for m := int64(0); m < rows; m++ {
		for j := int64(0); j < n; j++ {
			var ref, mag float64
			for i := int64(0); i < k; i++ {
				wi := j*k + i
				if layout == InOut {
					wi = i*n + j
				}
				p := float64(xv[m*k+i]) * float64(wv[wi])
				ref += p
				mag += math.Abs(p)
			}
			if bv != nil {
				ref += float64(bv[j])
				mag += math.Abs(float64(bv[j]))
			}
			if d := math.Abs(float64(got[m*n+j]) - ref); !(d <= tol*float64(k)*mag+1e-30) {
				t.Fatalf("%s: y[%d, %d] = %g, want %g (|Σ|x·w|| %g)", name, m, j, got[m*n+j], ref, mag)
			}
		}
	}
}

// TestLinearFallsBack: rows beyond the kernels' limit, a product that
// records gradients and one under autocast are ATen's own, bit for bit;
// a size mismatch is ATen's error, not a crash.
func TestLinearFallsBack(t *testing.T) {
	for _, layout := range []WeightLayout{OutIn, InOut} {
		s := NewScope()
		x, w, b, _, _, _ := linearCase(t, s, []int64{17}, 64, 48, layout, true)
		aten := func(x, w *Tensor) *Tensor {
			if layout == OutIn {
				return s.T(ts.Linear(x, w, b))
			}
			return s.T(b.Addmm(x, w, false))
		}
		var few, ref *Tensor
		Check(NoGrad(func() { few, ref = s.T(Linear(x, w, b, layout)), aten(x, w) }))
		if !slices.Equal(float32s(t, few), float32s(t, ref)) {
			t.Errorf("layout %d, 17 rows: differs from ATen", layout)
		}

		x1 := s.T(x.Narrow(0, 0, 2, false))
		s.T(w.SetRequiresGrad(true, false))
		g := s.T(Linear(x1, w, b, layout))
		if rg, err := g.RequiresGrad(); err != nil || !rg || !slices.Equal(float32s(t, g), float32s(t, aten(x1, w))) {
			t.Errorf("layout %d, weight needing a gradient: want ATen's product, recorded for autograd", layout)
		}
		s.T(w.SetRequiresGrad(false, false))

		var ac *Tensor
		Check(Autocast(gotch.CPU, gotch.BFloat16, func() { Check(NoGrad(func() { ac = s.T(Linear(x1, w, b, layout)) })) }))
		if ac.DType() != gotch.BFloat16 {
			t.Errorf("layout %d under autocast: %v, want bfloat16 (ATen's autocast)", layout, ac.DType())
		}

		bad := s.T(ts.Ones([]int64{2, 63}, gotch.Float, gotch.CPU))
		var err error
		Check(NoGrad(func() { _, err = Linear(bad, w, b, layout) }))
		if err == nil || !strings.Contains(err.Error(), "linear") {
			t.Errorf("layout %d, 63 inputs for 64: error %v, want ATen's shape error wrapped by linear", layout, err)
		}
		s.Close()
	}
}
