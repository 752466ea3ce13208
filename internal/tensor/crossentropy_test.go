package tensor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// ceCase is one CrossEntropy input: logits [rows, v] of kind, spread
// around 0 by scale, every ignoreEvery-th target ignored (0: none).
type ceCase struct {
	name        string
	kind        gotch.DType
	rows, v     int64
	scale       float64
	ignoreEvery int
	tol         float64 // loss and gradient, relative to max(1, |value|)
}

// ceRun returns the fused op's loss, gradient, correct and count, and the
// same through ATen's route as autocast takes it: logits cast to float32,
// F.cross_entropy, the gradient cast back.
func ceRun(t *testing.T, c ceCase, seed uint64) (loss float64, grad []float64, correct, count float64,
	refLoss float64, refGrad []float64, refCorrect, refCount float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	vals := make([]float64, c.rows*c.v)
	for i := range vals {
		vals[i] = rng.NormFloat64() * c.scale
	}
	targets := make([]int64, c.rows)
	for i := range targets {
		targets[i] = rng.Int64N(c.v)
		if c.ignoreEvery > 0 && i%c.ignoreEvery == 0 {
			targets[i] = -100
		}
	}
	// a tie at the maximum counts as right: row 1 predicts its target twice
	if c.rows > 1 && targets[1] >= 0 {
		row := vals[c.v : 2*c.v]
		best := row[0]
		for _, x := range row {
			best = max(best, x)
		}
		row[targets[1]], row[(targets[1]+1)%c.v] = best+1, best+1
	}
	s := NewScope()
	defer s.Close()
	target := s.T(ts.OfSlice(targets))
	leaf := func() *Tensor { return leafOf(s, vals, c.kind, []int64{c.rows, c.v}) }
	x := leaf()
	if !fusedCrossEntropy(x, target) {
		t.Fatal("fusedCrossEntropy = false")
	}
	l, correct, count, err := CrossEntropy(x, target, -100)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(l)
	if loss, err = Item(l); err != nil {
		t.Fatal(err)
	}
	grad = gradOf(t, s, x, l)

	xr := leaf()
	lr, refCorrect, refCount, err := crossEntropyATen(s.T(xr.Totype(gotch.Float, false)), target, -100)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(lr)
	if refLoss, err = Item(lr); err != nil {
		t.Fatal(err)
	}
	return loss, grad, correct, count, refLoss, gradOf(t, s, xr, lr), refCorrect, refCount
}

// TestCrossEntropyMatchesATen: loss, gradient and token accuracy against
// ATen's cross-entropy on float32 logits, for float32 and bfloat16 logits,
// widths that leave tails, ignored rows and logits large enough to
// overflow a naive exp, at every vector width.
func TestCrossEntropyMatchesATen(t *testing.T) {
	eachWidth(t, func(t *testing.T) {
		for _, c := range []ceCase{
			{"float32", gotch.Float, 7, 37, 3, 0, 1e-6},
			{"float32 ignored rows", gotch.Float, 64, 1000, 5, 3, 1e-6},
			{"float32 large logits", gotch.Float, 9, 203, 200, 4, 1e-5},
			{"bfloat16 vocab-sized", gotch.BFloat16, 24, 21128, 4, 5, 1.0 / 256},
		} {
			t.Run(c.name, func(t *testing.T) {
				loss, g, correct, count, rl, rg, rc, rn := ceRun(t, c, 5)
				if e := math.Abs(loss-rl) / max(1, math.Abs(rl)); !(e <= c.tol) {
					t.Fatalf("loss %.9g, ATen %.9g", loss, rl)
				}
				if correct != rc || count != rn {
					t.Fatalf("correct %v of %v, ATen's amax %v of %v", correct, count, rc, rn)
				}
				if correct < 1 {
					t.Fatalf("correct = %v: the tied row should count", correct)
				}
				worst := 0.0
				for i := range g {
					e := math.Abs(g[i]-rg[i]) / max(1, math.Abs(rg[i]))
					worst = max(worst, e)
					if !(e <= c.tol) {
						t.Fatalf("grad[%d] (row %d) = %g, ATen %g", i, int64(i)/c.v, g[i], rg[i])
					}
				}
				t.Logf("loss %.6g (ATen %.6g), worst grad error %.3g, %v of %v right", loss, rl, worst, correct, count)
			})
		}
	})
}

// TestCrossEntropyEdges: every row ignored gives ATen's NaN mean and zero
// gradients; a target outside the vocabulary is an error naming it.
func TestCrossEntropyEdges(t *testing.T) {
	s := NewScope()
	defer s.Close()
	x := s.T(s.T(ts.Randn([]int64{3, 10}, gotch.Float, gotch.CPU)).SetRequiresGrad(true, false))
	l, correct, count, err := CrossEntropy(x, s.T(ts.OfSlice([]int64{-100, -100, -100})), -100)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(l)
	if v, _ := Item(l); !math.IsNaN(v) || correct != 0 || count != 0 {
		t.Errorf("all ignored: loss %v, %v of %v right; want NaN, 0 of 0", v, correct, count)
	}
	for i, v := range gradOf(t, s, x, l) {
		if v != 0 {
			t.Fatalf("all ignored: grad[%d] = %g, want 0", i, v)
		}
	}
	for _, bad := range []int64{10, -1} {
		_, _, _, err := CrossEntropy(x, s.T(ts.OfSlice([]int64{0, bad, 1})), -100)
		if err == nil || !strings.Contains(err.Error(), "outside [0, 10)") {
			t.Errorf("target %d: error %v, want one naming the range", bad, err)
		}
	}
}
