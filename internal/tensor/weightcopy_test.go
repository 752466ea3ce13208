package tensor

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// randTensor is a float32 tensor of shape with N(0, 1) values from seed,
// not a view (autocast caches the casts of leaves that are not views).
func randTensor(t *testing.T, seed uint64, shape ...int64) *Tensor {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = rng.NormFloat64()
	}
	return must(t)(must(t)(must(t)(ts.OfSlice(vals)).Reshape(shape, true)).Totype(gotch.Float, true))
}

// matmulUnderAutocast runs x @ weight(w) + (x/2) @ weight(w) under CPU
// bfloat16 autocast (a weight read twice in one region, as a tied head
// or a second forward is) and returns the result and w's gradient of
// sum(result ⊙ coef).
func matmulUnderAutocast(t *testing.T, x, w, coef *Tensor, weight func(s *Scope, w *Tensor) *Tensor) (y, g []float32) {
	t.Helper()
	if err := GradsToNone([]*Tensor{w}); err != nil {
		t.Fatal(err)
	}
	s := NewScope()
	defer s.Close()
	var out *Tensor
	if err := Autocast(gotch.CPU, gotch.BFloat16, func() {
		half := s.T(x.MulScalar(s.Float(0.5), false))
		out = s.T(s.T(x.Matmul(weight(s, w), false)).Add(s.T(half.Matmul(weight(s, w), false)), false))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.T(s.T(s.T(out.Totype(gotch.Float, false)).Mul(coef, false)).Sum(gotch.Float, false)).Backward(); err != nil {
		t.Fatal(err)
	}
	y = float32s(t, s.T(out.Totype(gotch.Float, false)))
	g = float32s(t, s.T(w.Grad(false)))
	return y, g
}

// asIs leaves the weight to autocast, which casts it at its first use in
// the region and reuses that cast.
func asIs(_ *Scope, w *Tensor) *Tensor { return w }

// copyMatchesCast checks that what AutocastWeight hands out equals w cast
// now, bit for bit, and reports whether that took a cast.
func copyMatchesCast(t *testing.T, w *Tensor) (cast bool) {
	t.Helper()
	_, before := WeightCopies()
	var got, want []float32
	s := NewScope()
	defer s.Close()
	if err := Autocast(gotch.CPU, gotch.BFloat16, func() {
		got = float32s(t, s.T(AutocastWeight(s, w).Totype(gotch.Float, false)))
	}); err != nil {
		t.Fatal(err)
	}
	want = float32s(t, s.T(s.T(w.Totype(gotch.BFloat16, false)).Totype(gotch.Float, false)))
	if !slices.Equal(got, want) {
		t.Fatal("the bfloat16 copy differs from the weight cast now")
	}
	_, after := WeightCopies()
	return after > before
}

// TestAutocastWeight: the copy gives the product and the gradient autocast
// gives, is reused while the weight is unchanged, is rewritten by
// AdamWStep without a cast, is cast anew after any other change, and is
// dropped with its weight; outside autocast the weight is read as it is.
func TestAutocastWeight(t *testing.T) {
	x := randTensor(t, 1, 8, 64)
	coef := randTensor(t, 2, 8, 48)
	w := must(t)(randTensor(t, 3, 64, 48).SetRequiresGrad(true, true))
	defer Free(x, coef)

	yRef, gRef := matmulUnderAutocast(t, x, w, coef, asIs)
	kept0, _ := WeightCopies()
	y, g := matmulUnderAutocast(t, x, w, coef, func(s *Scope, w *Tensor) *Tensor {
		c := AutocastWeight(s, w)
		if c.DType() != gotch.BFloat16 {
			t.Fatalf("weight read as %v, want bfloat16", c.DType())
		}
		return c
	})
	if !slices.Equal(y, yRef) {
		t.Fatal("product through the copy differs from autocast's")
	}
	if !slices.Equal(g, gRef) {
		n := 0
		for i := range g {
			if g[i] != gRef[i] {
				n++
			}
		}
		t.Fatalf("gradient through the copy differs from autocast's in %d of %d (first %g vs %g)", n, len(g), g[0], gRef[0])
	}
	if kept, _ := WeightCopies(); kept != kept0+1 {
		t.Fatalf("%d copies kept, want %d", kept, kept0+1)
	}
	if copyMatchesCast(t, w) {
		t.Fatal("an unchanged weight was cast again")
	}

	// AdamW rewrites the copy in its pass: no cast at the next use
	var m, v []*Tensor = make([]*Tensor, 1), make([]*Tensor, 1)
	for step := int64(1); step <= 2; step++ {
		if err := AdamWStep([]*Tensor{w}, m, v, []bool{true}, AdamWHyper{LR: 0.05, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Step: step}); err != nil {
			t.Fatal(err)
		}
		if copyMatchesCast(t, w) {
			t.Fatalf("step %d: the copy was cast anew, not written by AdamW", step)
		}
	}
	defer Free(m[0], v[0])

	// any other change makes it stale
	if err := NoGrad(func() { Check(w.MulScalar_(ts.FloatScalar(0.5))) }); err != nil {
		t.Fatal(err)
	}
	if !copyMatchesCast(t, w) {
		t.Fatal("a weight changed in place kept its stale copy")
	}

	// a frozen weight reads its copy too, and records no gradient
	frozen := randTensor(t, 4, 64, 48)
	if err := Autocast(gotch.CPU, gotch.BFloat16, func() {
		s := NewScope()
		defer s.Close()
		if grad, err := AutocastWeight(s, frozen).RequiresGrad(); err != nil || grad {
			t.Errorf("a frozen weight's copy requires grad (%v, %v)", grad, err)
		}
	}); err != nil {
		t.Fatal(err)
	}

	// outside autocast: the weight itself
	s := NewScope()
	if got := AutocastWeight(s, w); got != w {
		t.Error("outside autocast AutocastWeight returned another tensor")
	}
	s.Close()

	kept, _ := WeightCopies()
	Free(w, frozen)
	if after, _ := WeightCopies(); after != kept-2 {
		t.Fatalf("%d copies kept after freeing two weights, want %d", after, kept-2)
	}
}
