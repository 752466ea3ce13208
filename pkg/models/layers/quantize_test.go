package layers

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// relErr is ‖got − want‖₂ / ‖want‖₂ over all elements.
func relErr(got, want *tensor.Tensor) float64 {
	g, err := tensor.Float32s(got)
	tensor.Check(err)
	w, err := tensor.Float32s(want)
	tensor.Check(err)
	var num, den float64
	for i := range w {
		d := float64(g[i] - w[i])
		num += d * d
		den += float64(w[i]) * float64(w[i])
	}
	return math.Sqrt(num / den)
}

// quantBound is each precision's largest relative error ‖Δy‖/‖y‖ of one
// projection, from the format's rounding step (the tests' inputs are
// N(0, 1), weights N(0, 0.02), 256 inputs per output):
//   - FP32: the same products summed in another order, ~1e-7;
//   - FP16: weights rounded to 11 significant bits, relative error per
//     weight ≤ 2⁻¹¹, RMS 2⁻¹¹/√3 ≈ 3e-4;
//   - BF16: weights rounded to 8 bits, RMS 2⁻⁸/√3 ≈ 2.3e-3, and past 16
//     rows activations too, ≈ 3e-3;
//   - Int8: a weight row's step is max|w|/64 (see int8Max) ≈ 4σ/64, error
//     RMS step/√12 ≈ 1.8 % of σ; activations add (range/255)/√12 ≈ 0.9 %;
//     together ≈ 2 %. A scale 5 % off, or int16 saturation, exceeds it.
var quantBound = map[Precision]float64{FP32: 1e-5, FP16: 1e-3, BF16: 1e-2, Int8: 0.03}

// TestQuantizeMatchesFloat: a Linear (with and without bias) and a Conv1D
// packed in each precision stay within its bound of the float32 layer, on
// a batch of rows and on one row (decoding's shape); None restores the
// float32 output exactly and no tensor leaks.
func TestQuantizeMatchesFloat(t *testing.T) {
	before := tensor.Live()
	err := tensor.Catch(func() {
		tensor.Seed(7)
		store := nn.NewStore(gotch.CPU)
		defer store.Close()
		lin := NewLinear(store.Root().Sub("q"), 256, 96, true, 0.02)
		noBias := NewLinear(store.Root().Sub("k"), 256, 96, false, 0.02)
		conv := NewConv1D(store.Root().Sub("c_fc"), 256, 96, 0.02)
		tensor.Check(tensor.NoGrad(func() { tensor.Check(lin.Bias.Normal_(0, 0.5)) }))
		s := tensor.NewScope()
		defer s.Close()
		layers := []struct {
			name string
			f    func(*tensor.Tensor) *tensor.Tensor
		}{{"linear", lin.Forward}, {"linear no bias", noBias.Forward}, {"conv1d", conv.Forward}}
		inputs := map[string]*tensor.Tensor{
			"batch [4, 8, 256]": s.T(ts.Randn([]int64{4, 8, 256}, gotch.Float, gotch.CPU)),
			"row [1, 1, 256]":   s.T(ts.Randn([]int64{1, 1, 256}, gotch.Float, gotch.CPU)),
		}
		for _, p := range []Precision{FP32, FP16, BF16, Int8} {
			for _, l := range layers {
				for in, x := range inputs {
					want := s.Add(l.f(x))
					tensor.Check(Quantize(store, p))
					got := s.Add(l.f(x))
					tensor.Check(Quantize(store, None))
					back := s.Add(l.f(x))
					if e := relErr(got, want); e > quantBound[p] {
						t.Errorf("%s %s %s: relative error %.3g > %.3g", p, l.name, in, e, quantBound[p])
					} else {
						t.Logf("%s %s %s: relative error %.3g (bound %.3g)", p, l.name, in, e, quantBound[p])
					}
					if e := relErr(back, want); e != 0 {
						t.Errorf("%s %s %s: after Quantize(None) the output differs by %.3g", p, l.name, in, e)
					}
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := tensor.Live() - before; d != 0 {
		t.Errorf("%d tensors leaked", d)
	}
}

// TestQuantizeBoundCatchesBrokenInt8 shows the bound can fail: a per-row
// scale 5 % off, and inputs that would overflow fbgemm's int16 pair sums
// with full-range weights on AVX2 (all-positive activations at 255 times
// weights at the row maximum), are checked against the same bound.
func TestQuantizeBoundCatchesBrokenInt8(t *testing.T) {
	err := tensor.Catch(func() {
		store := nn.NewStore(gotch.CPU)
		defer store.Close()
		lin := NewLinear(store.Root().Sub("q"), 256, 64, false, 0.02)
		s := tensor.NewScope()
		defer s.Close()
		x := s.T(ts.Randn([]int64{8, 256}, gotch.Float, gotch.CPU))
		want := s.Add(lin.Forward(x))
		tensor.Check(Quantize(store, Int8))
		defer func() { tensor.Check(Quantize(store, None)) }()
		tensor.Check(lin.Hook.packed.scale.MulScalar_(s.Float(1.05)))
		if e := relErr(s.Add(lin.Forward(x)), want); e <= quantBound[Int8] {
			t.Errorf("a scale 5%% off gives relative error %.3g, within the bound %.3g", e, quantBound[Int8])
		}

		// saturation-prone: every weight equals its row's maximum, every
		// activation the batch maximum
		tensor.Check(tensor.NoGrad(func() { tensor.Check(lin.Weight.Fill_(s.Float(0.05))) }))
		ones := s.T(ts.Ones([]int64{2, 256}, gotch.Float, gotch.CPU))
		tensor.Check(Quantize(store, None))
		want = s.Add(lin.Forward(ones))
		tensor.Check(Quantize(store, Int8))
		if e := relErr(s.Add(lin.Forward(ones)), want); e > quantBound[Int8] {
			t.Errorf("saturation-prone input: relative error %.3g > %.3g (int8Max %d too large for this CPU?)", e, quantBound[Int8], int8Max())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQuantizeKeepsGradients: an input that records gradients runs the
// float32 weight (fbgemm has no backward), so a quantized layer still
// trains: the weight gets the float32 gradient.
func TestQuantizeKeepsGradients(t *testing.T) {
	err := tensor.Catch(func() {
		store := nn.NewStore(gotch.CPU)
		defer store.Close()
		lin := NewLinear(store.Root().Sub("q"), 16, 4, true, 0.1)
		tensor.Check(Quantize(store, Int8))
		defer func() { tensor.Check(Quantize(store, None)) }()
		s := tensor.NewScope()
		defer s.Close()
		x := s.T(s.T(ts.Randn([]int64{3, 16}, gotch.Float, gotch.CPU)).SetRequiresGrad(true, false))
		y := s.Add(lin.Forward(x))
		loss := s.T(y.Sum(gotch.Float, false))
		tensor.Check(loss.Backward())
		g := s.T(lin.Weight.Grad(false))
		// d(Σ x·Wᵀ)/dW[o, i] = Σ_rows x[r, i], the same for every o
		want := s.T(s.T(s.T(x.SumDimIntlist([]int64{0}, true, gotch.Float, false)).Detach(false)).Expand([]int64{4, 16}, false, false))
		if e := relErr(g, want); e > 1e-6 {
			t.Errorf("weight gradient off by %.3g", e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQuantizePacksWithoutGraph: packing trainable weights records no
// autograd graph, in every precision. A graph on the packed copies would
// keep its saved intermediates alive (the int8 scales' |w| is a float32
// copy of the weight) for as long as the layer stays packed.
func TestQuantizePacksWithoutGraph(t *testing.T) {
	for _, p := range []Precision{FP32, FP16, BF16, Int8} {
		t.Run(string(p), func(t *testing.T) {
			err := tensor.Catch(func() {
				store := nn.NewStore(gotch.CPU)
				defer store.Close()
				lin := NewLinear(store.Root().Sub("q"), 64, 32, true, 0.1)
				conv := NewConv1D(store.Root().Sub("c_fc"), 64, 32, 0.1)
				tensor.Check(Quantize(store, p))
				defer func() { tensor.Check(Quantize(store, None)) }()
				for name, l := range map[string]struct {
					h    *Hook
					bias *tensor.Tensor
				}{"linear": {lin.Hook, lin.Bias}, "conv1d": {conv.Hook, conv.Bias}} {
					q := l.h.packed
					if q == nil {
						continue // FP32 leaves Conv1D as it is
					}
					for i, x := range []*tensor.Tensor{q.weight, q.matrix, q.scale, q.colSum, q.bias} {
						if x == nil || (x == q.bias && samePtr(x, l.bias)) {
							continue // absent, or the bias parameter itself (a leaf)
						}
						rg, err := x.RequiresGrad()
						tensor.Check(err)
						if rg {
							t.Errorf("%s: packed tensor %d records a gradient", name, i)
						}
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestQuantizeTakesBF16Input: under autocast the layer before a packed
// projection may hand it bfloat16; the float32 kernels (fbgemm's, the
// decoding layout) take it as float32 and stay within their bound.
func TestQuantizeTakesBF16Input(t *testing.T) {
	for _, p := range []Precision{FP32, FP16, Int8} {
		t.Run(string(p), func(t *testing.T) {
			err := tensor.Catch(func() {
				tensor.Seed(3)
				store := nn.NewStore(gotch.CPU)
				defer store.Close()
				lin := NewLinear(store.Root().Sub("q"), 256, 96, true, 0.02)
				s := tensor.NewScope()
				defer s.Close()
				xb := s.T(s.T(ts.Randn([]int64{3, 256}, gotch.Float, gotch.CPU)).Totype(gotch.BFloat16, false))
				x := s.T(xb.Totype(gotch.Float, false))
				var want, got *tensor.Tensor
				tensor.Check(tensor.NoGrad(func() { want = s.Add(lin.Forward(x)) }))
				tensor.Check(Quantize(store, p))
				defer func() { tensor.Check(Quantize(store, None)) }()
				tensor.Check(tensor.NoGrad(func() { got = s.Add(lin.Forward(xb)) }))
				if got.DType() != gotch.Float {
					t.Fatalf("output %v, want float32", got.DType())
				}
				if e := relErr(got, want); e > quantBound[p] {
					t.Errorf("relative error %.3g > %.3g", e, quantBound[p])
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestQuantizeQuietsFbgemmNotices: packing and running int8 and fp16
// layers prints none of libtorch's notices that its fbgemm_* functions are
// deprecated. libtorch prints each once per process, so a fresh process
// (this test binary again) does the work.
func TestQuantizeQuietsFbgemmNotices(t *testing.T) {
	const child = "GOTRL_TEST_FBGEMM_CHILD"
	if os.Getenv(child) == "1" {
		err := tensor.Catch(func() {
			store := nn.NewStore(gotch.CPU)
			defer store.Close()
			lin := NewLinear(store.Root().Sub("q"), 32, 8, true, 0.1)
			s := tensor.NewScope()
			defer s.Close()
			x := s.T(ts.Randn([]int64{2, 32}, gotch.Float, gotch.CPU))
			for _, p := range []Precision{Int8, FP16} {
				tensor.Check(Quantize(store, p))
				tensor.Check(tensor.NoGrad(func() { s.Add(lin.Forward(x)) }))
			}
			tensor.Check(Quantize(store, None))
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestQuantizeQuietsFbgemmNotices$", "-test.v")
	cmd.Env = append(os.Environ(), child+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "deprecated") {
		t.Errorf("libtorch's deprecation notices printed:\n%s", out)
	}
}

// samePtr reports whether a and b start at the same address.
func samePtr(a, b *tensor.Tensor) bool {
	pa, err := a.DataPtr()
	tensor.Check(err)
	pb, err := b.DataPtr()
	tensor.Check(err)
	return pa == pb
}

// TestQuantizeErrors: an unknown precision and a projection without a Hook
// are refused with the layer named, and nothing stays packed.
func TestQuantizeErrors(t *testing.T) {
	err := tensor.Catch(func() {
		store := nn.NewStore(gotch.CPU)
		defer store.Close()
		lin := NewLinear(store.Root().Sub("q"), 8, 4, true, 0.1)
		bare := &Linear{Weight: lin.Weight}
		cases := []struct {
			p     Precision
			extra []*Linear
			want  string
		}{
			{"int4", nil, `precision "int4"`},
			{Int8, []*Linear{bare}, "quantize head 0: the layer has no Hook"},
		}
		for _, c := range cases {
			t.Run(fmt.Sprint(c.p), func(t *testing.T) {
				err := Quantize(store, c.p, c.extra...)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want %q", err, c.want)
				}
				if lin.Hook.packed != nil {
					t.Error("a failed Quantize left a layer packed")
				}
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPrecision: config values are checked, "" and auto resolved for the
// device, and fbgemm's precisions refused on CUDA.
func TestPrecision(t *testing.T) {
	cuda := gotch.CudaBuilder(0)
	cases := []struct {
		in   Precision
		dev  gotch.Device
		want Precision
		err  bool // Validate fails
		cpu  bool // runsOn fails
	}{
		{"", gotch.CPU, None, false, false},
		{"none", gotch.CPU, None, false, false},
		{"fp32", gotch.CPU, FP32, false, false},
		{"int8", gotch.CPU, Int8, false, false},
		{"fp16", gotch.CPU, FP16, false, false},
		{"bf16", gotch.CPU, BF16, false, false},
		{"auto", gotch.CPU, autoPrecision(), false, false},
		{"INT8", gotch.CPU, "", true, false},
		{"", cuda, None, false, false},
		{"auto", cuda, None, false, false},
		{"fp32", cuda, None, false, false},
		{"bf16", cuda, BF16, false, false},
		{"int8", cuda, Int8, false, true},
		{"fp16", cuda, FP16, false, true},
	}
	for _, c := range cases {
		if err := c.in.Validate(); (err != nil) != c.err {
			t.Errorf("%q.Validate() = %v, want an error: %v", c.in, err, c.err)
		}
		if c.err {
			continue
		}
		got := c.in.Resolve(c.dev)
		if got != c.want {
			t.Errorf("%q.Resolve(%v) = %q, want %q", c.in, c.dev, got, c.want)
		}
		if err := got.runsOn(c.dev); (err != nil) != c.cpu {
			t.Errorf("%q.runsOn(%v) = %v, want an error: %v", got, c.dev, err, c.cpu)
		}
	}
}

// TestQuantizeRefusesFbgemmOnCUDA: a store on CUDA is refused int8 and fp16
// before anything is packed, with the device named, and auto packs nothing.
// The store holds no tensor, so no CUDA device is needed.
func TestQuantizeRefusesFbgemmOnCUDA(t *testing.T) {
	store := nn.NewStore(gotch.CudaBuilder(0))
	defer store.Close()
	for _, p := range []Precision{Int8, FP16} {
		err := Quantize(store, p)
		if err == nil || !strings.Contains(err.Error(), "cuda:0") || !strings.Contains(err.Error(), string(p)) {
			t.Errorf("Quantize(cuda store, %s) = %v, want a refusal naming %s and cuda:0", p, err, p)
		}
	}
	for _, p := range []Precision{Auto, FP32, None} {
		if err := Quantize(store, p); err != nil {
			t.Errorf("Quantize(cuda store, %s) = %v, want nil", p, err)
		}
	}
}
