package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// TestReadRows compares ReadRows with ATen's route (Float32s and
// logsumexp, in float32 for bfloat16 rows): the same values, and each
// row's log-sum-exp within float32 rounding, for the patch's kinds
// (float32, bfloat16, a transposed view) and for what it leaves to ATen
// (float64, empty rows); rows whose maximum is ±inf get that maximum.
func TestReadRows(t *testing.T) {
	cases := []struct {
		name      string
		kind      gotch.DType
		rows, v   int64
		transpose bool
		inf       float64 // written over all of row 0 (0: none)
	}{
		{name: "f32 one row", kind: gotch.Float, rows: 1, v: 21128},
		{name: "f32 batch 8, odd width", kind: gotch.Float, rows: 8, v: 1037},
		{name: "bf16", kind: gotch.BFloat16, rows: 3, v: 500},
		{name: "transposed view", kind: gotch.Float, rows: 5, v: 77, transpose: true},
		{name: "f64 through ATen", kind: gotch.Double, rows: 2, v: 300},
		{name: "row of -inf", kind: gotch.Float, rows: 2, v: 40, inf: math.Inf(-1)},
		{name: "row of +inf", kind: gotch.Float, rows: 2, v: 40, inf: math.Inf(1)},
		{name: "empty rows", kind: gotch.Float, rows: 2, v: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(c.v)))
			vals := make([]float32, c.rows*c.v)
			for i := range vals {
				vals[i] = float32(rng.NormFloat64() * 4)
			}
			if c.inf != 0 {
				for j := range c.v {
					vals[j] = float32(c.inf)
				}
			}
			shape := []int64{c.rows, c.v}
			if c.transpose {
				shape = []int64{c.v, c.rows}
			}
			x, err := FromFloat32s(vals, shape, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer Free(x)
			if c.transpose {
				tr, err := x.T(false)
				if err != nil {
					t.Fatal(err)
				}
				defer Free(tr)
				x = tr
			}
			if c.kind != gotch.Float {
				k, err := x.Totype(c.kind, false)
				if err != nil {
					t.Fatal(err)
				}
				defer Free(k)
				x = k
			}
			want, err := Float32s(x)
			if err != nil {
				t.Fatal(err)
			}
			// float32 math on bfloat16 rows, as autocast runs log-softmax
			f, err := x.Totype(gotch.Float, false)
			if err != nil {
				t.Fatal(err)
			}
			defer Free(f)
			l, err := f.Logsumexp([]int64{-1}, false, false)
			if err != nil {
				t.Fatal(err)
			}
			defer Free(l)
			wantLSE, err := Float64s(l)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]float32, 3, len(want)+5) // room: ReadRows must use it
			got, lse, err := ReadRows(x, buf, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(lse) != int(Shape(x)[0]) {
				t.Fatalf("got %d values and %d sums, want %d and %d", len(got), len(lse), len(want), Shape(x)[0])
			}
			if c.kind != gotch.Double && c.v > 0 && &got[0] != &buf[:1][0] {
				t.Errorf("values did not go into the buffer with room")
			}
			for i := range want {
				if got[i] != want[i] && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
					t.Fatalf("value %d: %v, want %v", i, got[i], want[i])
				}
			}
			for r, w := range wantLSE {
				g := float64(lse[r])
				if math.IsInf(w, 0) || math.IsNaN(w) {
					if g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
						t.Errorf("row %d: log-sum-exp %v, ATen %v", r, g, w)
					}
					continue
				}
				if math.Abs(g-w) > 2e-6*math.Max(1, math.Abs(w)) {
					t.Errorf("row %d: log-sum-exp %v, ATen %v", r, g, w)
				}
			}
			if _, none, err := ReadRows(x, nil, false); err != nil || none != nil {
				t.Errorf("without lse: sums %v, err %v", none, err)
			}
		})
	}
}

func TestReadRowsRefusesNonMatrix(t *testing.T) {
	x, err := ts.Zeros([]int64{2, 3, 4}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(x)
	if _, _, err := ReadRows(x, nil, true); err == nil {
		t.Fatal("a [2, 3, 4] tensor was read as rows")
	}
}

// BenchmarkReadRows is a decoding step's read of its logits at batch 1
// (vocabulary 21128) with each row's log-sum-exp; ATen is the route it
// replaced.
func BenchmarkReadRows(b *testing.B) {
	for _, aten := range []bool{false, true} {
		name := "patch"
		if aten {
			name = "ATen"
		}
		b.Run(name, func(b *testing.B) {
			x, err := ts.Randn([]int64{1, 21128}, gotch.Float, gotch.CPU)
			if err != nil {
				b.Fatal(err)
			}
			defer Free(x)
			var buf []float32
			for b.Loop() {
				var err error
				if aten {
					_, _, err = readRowsATen(x, true)
				} else {
					buf, _, err = ReadRows(x, buf, true)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
