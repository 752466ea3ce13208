package tensor

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

func TestScopeFreesAllButKept(t *testing.T) {
	before := Live()
	var kept *Tensor
	func() {
		s := NewScope()
		defer s.Close()
		a := s.T(ts.Ones([]int64{3, 3}, gotch.Float, gotch.CPU))
		b := s.T(a.MulScalar(s.Float(2), false))
		c := s.T(b.Add(a, false))
		_ = s.T(c.Sum(gotch.Float, false))
		if got := Live() - before; got != 4 {
			t.Fatalf("inside scope: %d live tensors, want 4", got)
		}
		kept = s.Keep(c)
	}()
	if got := Live() - before; got != 1 {
		t.Fatalf("after close: %d live tensors, want 1 (the kept one)", got)
	}
	v, err := Float32s(kept)
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != 3 {
		t.Fatalf("kept value %v, want 3", v[0])
	}
	Free(kept)
	if got := Live() - before; got != 0 {
		t.Fatalf("after free: %d live tensors, want 0", got)
	}
}

func TestScopeFreesOnPanicAndRecoverReturnsError(t *testing.T) {
	before := Live()
	err := Catch(func() {
		s := NewScope()
		defer s.Close()
		a := s.T(ts.Ones([]int64{2, 3}, gotch.Float, gotch.CPU))
		b := s.T(ts.Ones([]int64{4, 5}, gotch.Float, gotch.CPU))
		_ = s.T(a.Matmul(b, false)) // shape mismatch: libtorch throws
		t.Fatal("unreachable: matmul of [2,3] by [4,5] must fail")
	})
	if err == nil {
		t.Fatal("want an error from the bad matmul")
	}
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("error %T, want *tensor.Error", err)
	}
	if strings.Contains(err.Error(), "frame #") || strings.Contains(err.Error(), "goroutine") {
		t.Fatalf("error carries a backtrace: %q", err)
	}
	if !strings.Contains(err.Error(), "Matmul") {
		t.Fatalf("error %q does not name the op", err)
	}
	if got := Live() - before; got != 0 {
		t.Fatalf("%d tensors leaked by the failed scope", got)
	}
}

func TestNoGradRestoresMode(t *testing.T) {
	x := must(t)(ts.Ones([]int64{2}, gotch.Float, gotch.CPU))
	defer Free(x)
	xg := must(t)(x.SetRequiresGrad(true, false))
	defer Free(xg)
	var inside bool
	if err := NoGrad(func() {
		y := must(t)(xg.MulScalar(ts.FloatScalar(2), false))
		defer Free(y)
		inside, _ = y.RequiresGrad()
	}); err != nil {
		t.Fatal(err)
	}
	if inside {
		t.Fatal("result inside NoGrad requires grad")
	}
	y := must(t)(xg.MulScalar(ts.FloatScalar(2), false))
	defer Free(y)
	if rg, _ := y.RequiresGrad(); !rg {
		t.Fatal("grad mode not restored after NoGrad")
	}
}

// TestGradientsMatchFiniteDifferences checks libtorch autograd through the
// patched gotch against central differences in float64, op by op.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	x0 := []float64{0.3, -1.2, 0.7, 2.0, -0.4, 0.05}
	cases := []struct {
		name string
		f    func(s *Scope, x *Tensor) *Tensor // scalar output
	}{
		{"tanh-square", func(s *Scope, x *Tensor) *Tensor {
			return s.T(s.T(s.T(x.Tanh(false)).Square(false)).Sum(gotch.Double, false))
		}},
		{"gelu-tanh", func(s *Scope, x *Tensor) *Tensor {
			return s.T(s.T(x.Gelu("tanh", false)).Sum(gotch.Double, false))
		}},
		{"log-softmax", func(s *Scope, x *Tensor) *Tensor {
			ls := s.T(s.T(x.Reshape([]int64{2, 3}, false)).LogSoftmax(-1, gotch.Double, false))
			w := s.T(ts.OfSlice([]float64{1, 2, 3, -1, 0.5, 4}))
			return s.T(s.T(s.T(ls.Reshape([]int64{6}, false)).Mul(w, false)).Sum(gotch.Double, false))
		}},
		{"matmul", func(s *Scope, x *Tensor) *Tensor {
			a := s.T(x.Reshape([]int64{2, 3}, false))
			b := s.T(x.Reshape([]int64{3, 2}, false))
			return s.T(s.T(s.T(a.Matmul(b, false)).Exp(false)).Sum(gotch.Double, false))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eval := func(vals []float64) float64 {
				s := NewScope()
				defer s.Close()
				x := s.T(ts.OfSlice(vals))
				v, err := Float64s(c.f(s, x))
				if err != nil {
					t.Fatal(err)
				}
				return v[0]
			}
			s := NewScope()
			defer s.Close()
			x := s.T(s.T(ts.OfSlice(x0)).SetRequiresGrad(true, false))
			grad := gradOf(t, s, x, c.f(s, x))
			const h = 1e-6
			for i := range x0 {
				plus := append([]float64(nil), x0...)
				minus := append([]float64(nil), x0...)
				plus[i] += h
				minus[i] -= h
				fd := (eval(plus) - eval(minus)) / (2 * h)
				if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
					t.Errorf("d/dx[%d]: autograd %.9g, finite difference %.9g", i, grad[i], fd)
				}
			}
		})
	}
}

func TestParseDevice(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"cpu", "cpu", ""},
		{"CPU", "cpu", ""},
		{"auto", "cpu", ""}, // no CUDA on the build machines
		{"cuda", "", "CUDA is not available"},
		{"cuda:x", "", "want cuda:N"},
		{"tpu", "", "want auto, cpu, cuda or cuda:N"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if CUDAAvailable() && c.in != "cpu" && c.in != "CPU" && c.in != "tpu" {
				t.Skip("CUDA present: expectations assume a CPU-only machine")
			}
			d, err := ParseDevice(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("ParseDevice(%q) error %v, want %q", c.in, err, c.wantErr)
				}
				return
			}
			if err != nil || DeviceName(d) != c.want {
				t.Fatalf("ParseDevice(%q) = %v, %v; want %s", c.in, DeviceName(d), err, c.want)
			}
		})
	}
}

func TestRNGStateRoundTrip(t *testing.T) {
	Seed(7)
	state, err := RNGState()
	if err != nil {
		t.Fatal(err)
	}
	draw := func() []float32 {
		x := must(t)(ts.Randn([]int64{5}, gotch.Float, gotch.CPU))
		defer Free(x)
		v, err := Float32s(x)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := draw()
	if err := SetRNGState(state); err != nil {
		t.Fatal(err)
	}
	b := draw()
	c := draw()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("draw after restoring state differs at %d: %v vs %v", i, a[i], b[i])
		}
	}
	if a[0] == c[0] {
		t.Fatal("generator did not advance")
	}
}

func TestFromRowsRejectsRagged(t *testing.T) {
	if _, err := FromRows([][]int64{{1, 2}, {3}}, gotch.CPU); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Fatalf("ragged rows: error %v, want one naming row 1", err)
	}
	x, err := FromRows([][]int64{{1, 2}, {3, 4}}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(x)
	v, _ := Int64s(x)
	if got := Shape(x); len(got) != 2 || got[0] != 2 || got[1] != 2 || v[3] != 4 {
		t.Fatalf("FromRows gave shape %v values %v", got, v)
	}
}

func must(t *testing.T) func(*Tensor, error) *Tensor {
	return func(x *Tensor, err error) *Tensor {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
}

func TestFromScalarShape(t *testing.T) {
	x, err := FromFloat32s([]float32{2.5}, nil, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(x)
	if got := Shape(x); len(got) != 0 {
		t.Fatalf("shape %v, want []", got)
	}
	if v, _ := Item(x); v != 2.5 {
		t.Fatalf("value %v", v)
	}
}
