package train

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestAdamWMatchesReference runs three AdamW steps on fixed gradients and
// compares with torch.optim.AdamW's update rule written out in float64.
func TestAdamWMatchesReference(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	var w, b *tensor.Tensor
	if err := tensor.Catch(func() {
		w = store.Root().Param("w", []int64{2, 2}, nn.Ones())
		b = store.Root().Param("b", []int64{2}, nn.Ones())
	}); err != nil {
		t.Fatal(err)
	}
	cfg := AdamWConfig{LR: 0.1, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.5}
	opt, err := NewAdamW(store.Trainable(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Close()
	// loss = sum(coef ⊙ w) + sum(coef[:2] ⊙ b)^2-ish: gradients differ per element and per step.
	coefs := [][]float64{{1, -2, 0.5, 3}, {0.1, 0.2, -0.3, 4}, {-1, 1, -1, 1}}
	// reference state
	pw := []float64{1, 1, 1, 1}
	pb := []float64{1, 1}
	mw, vw := make([]float64, 4), make([]float64, 4)
	mb, vb := make([]float64, 2), make([]float64, 2)
	ref := func(p, m, v, g []float64, step int, decay bool) {
		bc1 := 1 - math.Pow(cfg.Beta1, float64(step))
		bc2 := 1 - math.Pow(cfg.Beta2, float64(step))
		for i := range p {
			if decay {
				p[i] *= 1 - cfg.LR*cfg.WeightDecay
			}
			m[i] = cfg.Beta1*m[i] + (1-cfg.Beta1)*g[i]
			v[i] = cfg.Beta2*v[i] + (1-cfg.Beta2)*g[i]*g[i]
			p[i] -= cfg.LR / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + cfg.Eps)
		}
	}
	for step, c := range coefs {
		if err := opt.ZeroGrad(); err != nil {
			t.Fatal(err)
		}
		err := tensor.Catch(func() {
			s := tensor.NewScope()
			defer s.Close()
			cw := s.T(tensor.FromFloat32s([]float32{float32(c[0]), float32(c[1]), float32(c[2]), float32(c[3])}, []int64{2, 2}, gotch.CPU))
			lw := s.T(s.T(w.Mul(cw, false)).Sum(gotch.Float, false))
			lb := s.T(s.T(b.Square(false)).Sum(gotch.Float, false)) // grad 2b
			tensor.Check(s.T(lw.Add(lb, false)).Backward())
		})
		if err != nil {
			t.Fatal(err)
		}
		gb := []float64{2 * pb[0], 2 * pb[1]}
		if err := opt.Step(cfg.LR); err != nil {
			t.Fatal(err)
		}
		ref(pw, mw, vw, c, step+1, true)
		ref(pb, mb, vb, gb, step+1, false) // 1-D: no decay
		gotW, _ := tensor.Float64s(w)
		gotB, _ := tensor.Float64s(b)
		for i := range pw {
			if math.Abs(gotW[i]-pw[i]) > 1e-5 {
				t.Fatalf("step %d: w[%d] = %.7f, want %.7f", step+1, i, gotW[i], pw[i])
			}
		}
		for i := range pb {
			if math.Abs(gotB[i]-pb[i]) > 1e-5 {
				t.Fatalf("step %d: b[%d] = %.7f, want %.7f", step+1, i, gotB[i], pb[i])
			}
		}
	}
}

// TestMLPRegressionConverges is the foundation's smoke test: a two-layer MLP
// trained with AdamW on y = sin(3·x0) + x1·x2 (fixed synthetic data) must
// reach an MSE below 0.01 in 600 full-batch steps (the target's variance is
// about 0.6, so a model that learned nothing stays near 0.6).
func TestMLPRegressionConverges(t *testing.T) {
	tensor.Seed(1)
	const n, hidden = 256, 64
	xs := make([]float32, n*3)
	ys := make([]float32, n)
	for i := 0; i < n; i++ {
		a, b, c := float32(math.Sin(float64(i)*1.7)), float32(math.Cos(float64(i)*0.37)), float32(math.Sin(float64(i)*0.11+1))
		xs[3*i], xs[3*i+1], xs[3*i+2] = a, b, c
		ys[i] = float32(math.Sin(3*float64(a))) + b*c
	}
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	var w1, b1, w2, b2 *tensor.Tensor
	if err := tensor.Catch(func() {
		r := store.Root()
		w1 = r.Param("l1.weight", []int64{hidden, 3}, nn.KaimingUniform(3))
		b1 = r.Param("l1.bias", []int64{hidden}, nn.Zeros())
		w2 = r.Param("l2.weight", []int64{1, hidden}, nn.KaimingUniform(hidden))
		b2 = r.Param("l2.bias", []int64{1}, nn.Zeros())
	}); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultAdamW()
	cfg.LR = 1e-2
	opt, err := NewAdamW(store.Trainable(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Close()
	x, _ := tensor.FromFloat32s(xs, []int64{n, 3}, gotch.CPU)
	y, _ := tensor.FromFloat32s(ys, []int64{n, 1}, gotch.CPU)
	defer tensor.Free(x, y)
	before := tensor.Live()
	var loss float64
	for step := 0; step < 600; step++ {
		if err := opt.ZeroGrad(); err != nil {
			t.Fatal(err)
		}
		err := tensor.Catch(func() {
			s := tensor.NewScope()
			defer s.Close()
			h := s.T(s.T(x.Matmul(s.T(w1.T(false)), false)).Add(b1, false))
			h = s.T(h.Tanh(false))
			out := s.T(s.T(h.Matmul(s.T(w2.T(false)), false)).Add(b2, false))
			l := s.T(out.MseLoss(y, 1, false))
			tensor.Check(l.Backward())
			loss, err = tensor.Item(l)
			tensor.Check(err)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(cfg.LR); err != nil {
			t.Fatal(err)
		}
	}
	if loss > 0.01 {
		t.Fatalf("MLP regression MSE after 600 steps = %.4f, want < 0.01", loss)
	}
	// gradients and optimizer moments exist now; nothing else may leak per step
	if leaked := tensor.Live() - before; leaked > int64(2*len(store.Trainable())) {
		t.Fatalf("%d tensors alive beyond the optimizer state", leaked)
	}
	t.Logf("final MSE %.5f", loss)
}
