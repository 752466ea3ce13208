package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
)

// screenWeights are weight rows [v, k] built to strain the screen's bound.
var screenWeights = []struct {
	name string
	v, k int64
	make func(rng *rand.Rand, v, k int64) []float32
}{
	{"gaussian", 3000, 768, func(rng *rand.Rand, v, k int64) []float32 { return gaussian(rng, v*k, 0.02) }},
	{"tails", 700, 37, func(rng *rand.Rand, v, k int64) []float32 { return gaussian(rng, v*k, 1) }},
	{"three rows", 3, 16, func(rng *rand.Rand, v, k int64) []float32 { return gaussian(rng, v*k, 1) }},
	// every row the same but for a change in the last bits: the logits lie
	// closer than the int8 copy can tell, so every row is computed and the
	// choice rests on Linear's own rounding
	{"near ties", 500, 768, func(rng *rand.Rand, v, k int64) []float32 {
		base := gaussian(rng, k, 0.05)
		w := make([]float32, v*k)
		for r := int64(0); r < v; r++ {
			for i := int64(0); i < k; i++ {
				w[r*k+i] = base[i] * (1 + float32(rng.NormFloat64())*1e-6)
			}
		}
		return w
	}},
	// rows repeated: the lowest id of equal logits wins, as argmax's does
	{"exact ties", 400, 64, func(rng *rand.Rand, v, k int64) []float32 {
		rows := gaussian(rng, 4*k, 1)
		w := make([]float32, v*k)
		for r := int64(0); r < v; r++ {
			copy(w[r*k:(r+1)*k], rows[(r%4)*k:(r%4+1)*k])
		}
		return w
	}},
	// one huge weight a row: int8 keeps little of the rest, the bounds
	// are wide and many rows stay in
	{"outliers", 2000, 768, func(rng *rand.Rand, v, k int64) []float32 {
		w := gaussian(rng, v*k, 0.02)
		for r := int64(0); r < v; r++ {
			w[r*k+rng.Int64N(k)] = 40
		}
		return w
	}},
	{"zero rows", 300, 48, func(rng *rand.Rand, v, k int64) []float32 {
		w := gaussian(rng, v*k, 1)
		for r := int64(0); r < v; r += 3 {
			clear(w[r*k : (r+1)*k])
		}
		return w
	}},
}

func gaussian(rng *rand.Rand, n int64, std float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64() * std)
	}
	return out
}

// TestScreenArgmax: the screen chooses, for every row, the id argmax over
// Linear's logits chooses (the first largest), at every vector width, for
// both weight layouts with and without a bias, 1 to 16 rows, inputs of
// every scale (all zero too), and weights built to strain the bound: near
// and exact ties, outliers, zero rows. Without vector lanes Linear runs
// every product through ATen, and the screen leaves the choice to its
// logits.
func TestScreenArgmax(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		few := ext.Lanes(0) > 1
		for wi, c := range screenWeights {
			for _, layout := range []WeightLayout{OutIn, InOut} {
				for _, bias := range []bool{false, true} {
					rng := rand.New(rand.NewPCG(uint64(wi), 7))
					s := NewScope()
					w := s.T(FromFloat32s(c.make(rng, c.v, c.k), []int64{c.v, c.k}, gotch.CPU))
					if layout == InOut {
						w = s.T(s.T(w.T(false)).Contiguous(false))
					}
					var b *Tensor
					if bias {
						b = s.T(FromFloat32s(gaussian(rng, c.v, 0.1), []int64{c.v}, gotch.CPU))
					}
					sc, err := NewScreen(w, b, layout)
					if err != nil || sc == nil {
						t.Fatalf("%s: screen %v, %v", c.name, sc, err)
					}
					for _, rows := range []int64{1, 3, 8, 16} {
						for _, scale := range []float64{0, 1e-3, 1, 30} {
							name := fmt.Sprintf("%s, layout %d, bias %v, %d rows, x·%g", c.name, layout, bias, rows, scale)
							x := s.T(FromFloat32s(gaussian(rng, rows*c.k, scale), []int64{rows, 1, c.k}, gotch.CPU))
							var got []int64
							var ok bool
							var logits *Tensor
							Check(NoGrad(func() {
								got, ok, err = sc.Argmax(x)
								logits = s.T(Linear(x, w, b, layout))
							}))
							if err != nil || ok != few {
								t.Fatalf("%s: ok %v, %v; want ok %v", name, ok, err, few)
							}
							if !few {
								continue
							}
							want := rowArgmax(float32s(t, logits), c.v)
							if fmt.Sprint(got) != fmt.Sprint(want) {
								t.Errorf("%s: ids %v, argmax of the logits %v", name, got, want)
							}
						}
					}
					sc.Close()
					s.Close()
				}
			}
		}
	})
}

// rowArgmax is each row's first largest value's index.
func rowArgmax(flat []float32, v int64) []int64 {
	var ids []int64
	for m := int64(0); m < int64(len(flat))/v; m++ {
		best := int64(0)
		for r := int64(1); r < v; r++ {
			if flat[m*v+r] > flat[m*v+best] {
				best = r
			}
		}
		ids = append(ids, best)
	}
	return ids
}

// TestScreenDeclines: rows Linear would not run through its few-rows
// kernel, or that are not finite, are left to the logits (ok false, no
// error), and a weight the screen cannot bound gets no screen.
func TestScreenDeclines(t *testing.T) {
	s := NewScope()
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	w := s.T(FromFloat32s(gaussian(rng, 50*32, 1), []int64{50, 32}, gotch.CPU))
	sc, err := NewScreen(w, nil, OutIn)
	if err != nil || sc == nil {
		t.Fatalf("screen %v, %v", sc, err)
	}
	defer sc.Close()
	nan := gaussian(rng, 2*32, 1)
	nan[40] = float32(math.NaN())
	inf := gaussian(rng, 32, 1)
	inf[3] = float32(math.Inf(1))
	for _, c := range []struct {
		name string
		x    *Tensor
		grad bool
	}{
		{"17 rows", s.T(FromFloat32s(gaussian(rng, 17*32, 1), []int64{17, 32}, gotch.CPU)), false},
		{"NaN", s.T(FromFloat32s(nan, []int64{2, 32}, gotch.CPU)), false},
		{"inf", s.T(FromFloat32s(inf, []int64{1, 32}, gotch.CPU)), false},
		{"float64", s.T(s.T(FromFloat32s(gaussian(rng, 32, 1), []int64{1, 32}, gotch.CPU)).Totype(gotch.Double, false)), false},
		{"needs a gradient", s.T(s.T(FromFloat32s(gaussian(rng, 32, 1), []int64{1, 32}, gotch.CPU)).SetRequiresGrad(true, false)), true},
	} {
		run := NoGrad
		if c.grad {
			run = func(f func()) error { f(); return nil }
		}
		var ids []int64
		var ok bool
		Check(run(func() { ids, ok, err = sc.Argmax(c.x) }))
		if ok || ids != nil || err != nil {
			t.Errorf("%s: ids %v, ok %v, err %v; want it left to the logits", c.name, ids, ok, err)
		}
	}
	badW := gaussian(rng, 4*8, 1)
	badW[9] = float32(math.Inf(-1))
	for name, wt := range map[string]*Tensor{
		"inf weight":      s.T(FromFloat32s(badW, []int64{4, 8}, gotch.CPU)),
		"bfloat16 weight": s.T(s.T(FromFloat32s(gaussian(rng, 4*8, 1), []int64{4, 8}, gotch.CPU)).Totype(gotch.BFloat16, false)),
		"vector":          s.T(FromFloat32s(gaussian(rng, 8, 1), []int64{8}, gotch.CPU)),
	} {
		if got, err := NewScreen(wt, nil, OutIn); got != nil || err != nil {
			t.Errorf("%s: screen %v, %v; want none", name, got, err)
		}
	}
}
