package tensor

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// param makes a leaf tensor of kind with values vals that requires grad,
// and gives it the gradient coef (through loss = sum(coef ⊙ p)).
func param(t *testing.T, vals, coef []float64, kind gotch.DType) *Tensor {
	t.Helper()
	p := must(t)(must(t)(ts.OfSlice(vals)).Totype(kind, true))
	p = must(t)(p.SetRequiresGrad(true, true))
	setGrad(t, p, coef)
	return p
}

func setGrad(t *testing.T, p *Tensor, coef []float64) {
	t.Helper()
	if err := Catch(func() {
		s := NewScope()
		defer s.Close()
		c := s.T(s.T(ts.OfSlice(coef)).Totype(p.DType(), false))
		Check(s.T(s.T(p.Mul(c, false)).Sum(p.DType(), false)).Backward())
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAdamWStepMatchesTorchRule runs three steps of the fused float32 path
// and of the ATen fallback (float64 tensors) against torch.optim.AdamW's
// rule written out in float64: p *= 1-lr·wd; m = β1·m + (1-β1)·g;
// v = β2·v + (1-β2)·g²; p -= lr/bc1 · m/(sqrt(v)/sqrt(bc2) + eps).
func TestAdamWStepMatchesTorchRule(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		h := AdamWHyper{LR: 0.1, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.5}
		p0 := []float64{1, -0.5, 0.25, 2, 3}
		grads := [][]float64{{1, -2, 0.5, 3, 0}, {0.1, 0.2, -0.3, 4, 1e-3}, {-1, 1, -1, 1, 7}}
		for _, c := range []struct {
			name  string
			kind  gotch.DType
			tol   float64
			decay bool
		}{
			{"fused float32 with decay", gotch.Float, 2e-6, true},
			{"fused float32 no decay", gotch.Float, 2e-6, false},
			{"ATen float64 with decay", gotch.Double, 1e-12, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				ref, m, v := append([]float64(nil), p0...), make([]float64, len(p0)), make([]float64, len(p0))
				p := param(t, p0, grads[0], c.kind)
				defer Free(p)
				mt, vt := []*Tensor{nil}, []*Tensor{nil}
				defer func() { Free(mt[0], vt[0]) }()
				for step, g := range grads {
					if step > 0 {
						if err := GradsToNone([]*Tensor{p}); err != nil {
							t.Fatal(err)
						}
						setGrad(t, p, g)
					}
					h.Step = int64(step + 1)
					if err := AdamWStep([]*Tensor{p}, mt, vt, []bool{c.decay}, h); err != nil {
						t.Fatal(err)
					}
					bc1 := 1 - math.Pow(h.Beta1, float64(h.Step))
					bc2 := 1 - math.Pow(h.Beta2, float64(h.Step))
					for i := range ref {
						if c.decay {
							ref[i] *= 1 - h.LR*h.WeightDecay
						}
						m[i] = h.Beta1*m[i] + (1-h.Beta1)*g[i]
						v[i] = h.Beta2*v[i] + (1-h.Beta2)*g[i]*g[i]
						ref[i] -= h.LR / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + h.Eps)
					}
					got, err := Float64s(p)
					if err != nil {
						t.Fatal(err)
					}
					gm, _ := Float64s(mt[0])
					for i := range ref {
						if math.Abs(got[i]-ref[i]) > c.tol*math.Max(1, math.Abs(ref[i])) || math.Abs(gm[i]-m[i]) > c.tol {
							t.Fatalf("step %d [%d]: p %.9g m %.9g, want %.9g %.9g", step+1, i, got[i], gm[i], ref[i], m[i])
						}
					}
					if mt[0].DType() != c.kind {
						t.Fatalf("exp_avg is %v, want the parameter's %v", mt[0].DType(), c.kind)
					}
				}
			})
		}
	})
}

// TestAdamWStepSkipsParamsWithoutGrad: a parameter whose gradient is
// undefined keeps its value and gets no state (PyTorch skips p.grad None).
func TestAdamWStepSkipsParamsWithoutGrad(t *testing.T) {
	a := param(t, []float64{1, 2}, []float64{1, 1}, gotch.Float)
	b := must(t)(must(t)(ts.OfSlice([]float32{5, 6})).SetRequiresGrad(true, true))
	defer Free(a, b)
	m, v := make([]*Tensor, 2), make([]*Tensor, 2)
	defer func() { Free(m...); Free(v...) }()
	h := AdamWHyper{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1}
	if err := AdamWStep([]*Tensor{a, b}, m, v, []bool{true, true}, h); err != nil {
		t.Fatal(err)
	}
	if m[0] == nil || m[1] != nil || v[1] != nil {
		t.Fatalf("state created: a %v, b %v/%v; want a only", m[0] != nil, m[1] != nil, v[1] != nil)
	}
	if got, _ := Float32s(b); got[0] != 5 || got[1] != 6 {
		t.Fatalf("b without grad changed to %v", got)
	}
	if err := AdamWStep([]*Tensor{a}, m, v, []bool{true, true}, h); err == nil {
		t.Fatal("mismatched slice lengths: want an error")
	}
}

// TestGradsToNoneThenAccumulate: after GradsToNone the gradient is
// undefined; two backward passes then sum (accumulation still works).
func TestGradsToNoneThenAccumulate(t *testing.T) {
	p := param(t, []float64{1, 2, 3}, []float64{1, 2, 3}, gotch.Float)
	defer Free(p)
	if err := GradsToNone([]*Tensor{p}); err != nil {
		t.Fatal(err)
	}
	g := must(t)(p.Grad(false))
	if ok, _ := g.Defined(); ok {
		t.Fatal("gradient still defined after GradsToNone")
	}
	Free(g)
	setGrad(t, p, []float64{1, 2, 3})
	setGrad(t, p, []float64{10, 20, 30})
	g = must(t)(p.Grad(false))
	defer Free(g)
	got, _ := Float32s(g)
	if got[0] != 11 || got[1] != 22 || got[2] != 33 {
		t.Fatalf("accumulated gradient %v, want [11 22 33]", got)
	}
}

// TestClipGradNormOneCall: gradients (3, 4) and (12): global norm 13;
// clipping to 6.5 halves them (6.5/(13+1e-6)).
func TestClipGradNormOneCall(t *testing.T) {
	a := param(t, []float64{0, 0}, []float64{3, 4}, gotch.Float)
	b := param(t, []float64{0}, []float64{12}, gotch.Float)
	c := must(t)(must(t)(ts.OfSlice([]float32{1})).SetRequiresGrad(true, true)) // no grad: ignored
	defer Free(a, b, c)
	norm, err := ClipGradNorm([]*Tensor{a, b, c}, 6.5)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(norm-13) > 1e-5 {
		t.Fatalf("norm %v, want 13", norm)
	}
	ga := must(t)(a.Grad(false))
	defer Free(ga)
	got, _ := Float64s(ga)
	if k := 6.5 / (13 + 1e-6); math.Abs(got[0]-3*k) > 1e-6 || math.Abs(got[1]-4*k) > 1e-6 {
		t.Fatalf("clipped grad %v, want %v", got, []float64{3 * k, 4 * k})
	}
}

// TestAdamWGradScaleEqualsClipThenStep: a step with GradScale c gives
// bit for bit the parameters and moments of scaling the gradients by c in
// place (clip_grad_norm_) and then stepping, on the fused float32 path and
// on the ATen one (float64), and leaves the gradients unscaled.
func TestAdamWGradScaleEqualsClipThenStep(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		p0 := []float64{1, -0.5, 0.25, 2, 3, -7, 0.125, 9, 1e-3} // 9: the AVX loop and its tail
		g0 := []float64{1, -2, 0.5, 3, 0, 40, -1e-3, 7, 2}
		for _, kind := range []gotch.DType{gotch.Float, gotch.Double} {
			t.Run(kind.String(), func(t *testing.T) {
				h := AdamWHyper{LR: 0.1, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.5, Step: 1}
				run := func(fused bool) (p, m, g []float64) {
					x := param(t, p0, g0, kind)
					mt, vt := []*Tensor{nil}, []*Tensor{nil}
					defer func() { Free(x, mt[0], vt[0]) }()
					norm, err := GradNorm([]*Tensor{x})
					if err != nil {
						t.Fatal(err)
					}
					if ClipCoef(norm, 2) >= 1 {
						t.Fatalf("norm %v: the case must clip", norm)
					}
					hh := h
					if fused {
						hh.GradScale = ClipCoef(norm, 2)
					} else if _, err := ClipGradNorm([]*Tensor{x}, 2); err != nil {
						t.Fatal(err)
					}
					if err := AdamWStep([]*Tensor{x}, mt, vt, []bool{true}, hh); err != nil {
						t.Fatal(err)
					}
					gt := must(t)(x.Grad(false))
					defer Free(gt)
					p, _ = Float64s(x)
					m, _ = Float64s(mt[0])
					g, _ = Float64s(gt)
					return p, m, g
				}
				pf, mf, gf := run(true)
				pc, mc, gc := run(false)
				for i := range p0 {
					if pf[i] != pc[i] || mf[i] != mc[i] {
						t.Fatalf("[%d]: scaled step p %v m %v; clip then step p %v m %v", i, pf[i], mf[i], pc[i], mc[i])
					}
					if want := float64(float32(g0[i])); kind == gotch.Double && gf[i] != g0[i] || kind == gotch.Float && gf[i] != want {
						t.Fatalf("[%d]: gradient %v after the scaled step, want it unchanged (%v)", i, gf[i], g0[i])
					}
					if gc[i] == gf[i] && g0[i] != 0 {
						t.Fatalf("[%d]: ClipGradNorm left the gradient at %v", i, gc[i])
					}
				}
			})
		}
	})
}

// TestClipCoef: clip_grad_norm_'s coefficient, and 1 where it leaves the
// gradients alone.
func TestClipCoef(t *testing.T) {
	for _, c := range []struct{ norm, max, want float64 }{
		{13, 6.5, 6.5 / (13 + 1e-6)},
		{1, 6.5, 1},        // below the limit
		{13, 0, 1},         // clipping off
		{math.NaN(), 1, 1}, // non-finite: untouched
		{math.Inf(1), 1, 1},
	} {
		// (Go folds the constant 6.5/(13+1e-6) exactly; at run time it rounds)
		if got := ClipCoef(c.norm, c.max); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("ClipCoef(%v, %v) = %v, want %v", c.norm, c.max, got, c.want)
		}
	}
}
