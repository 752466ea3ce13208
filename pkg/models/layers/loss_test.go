package layers

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// TestCausalLMLoss: with logits favouring token 1 by ln 3 over the three
// others (p = 1/2), positions whose next label is 1 cost ln 2, others
// ln 6; -100 is ignored, and the first labels (out of range here) are
// never targets.
func TestCausalLMLoss(t *testing.T) {
	row := []float32{0, float32(math.Log(3)), 0, 0}
	var flat []float32
	for i := 0; i < 2*3; i++ { // [B=2, T=3, V=4]
		flat = append(flat, row...)
	}
	logits, err := tensor.FromFloat32s(flat, []int64{2, 3, 4}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tensor.Free(logits)
	labels, err := tensor.FromRows([][]int64{{9, 1, 2}, {9, 3, IgnoreIndex}}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tensor.Free(labels)
	var got float64
	if err := tensor.Catch(func() {
		loss := CausalLMLoss(logits, labels)
		defer tensor.Free(loss)
		got, err = tensor.Item(loss)
		tensor.Check(err)
	}); err != nil {
		t.Fatal(err)
	}
	want := (math.Log(2) + math.Log(6) + math.Log(6)) / 3 // labels 1, 2, 3 counted
	if math.Abs(got-want) > 1e-6 {
		t.Fatalf("loss %g, want %g", got, want)
	}
}

// TestCausalLMLossFused: the one-op loss (tensor.CausalLMLoss) gives the
// loss and logits gradient of the ATen route (narrow, reshape,
// cross_entropy) for float32 logits and for bfloat16 ones under autocast
// (where cross_entropy runs in float32), vocabularies that are and are not
// multiples of the 8-wide loop, ignored labels, a NaN logit (NaN loss and
// NaN gradient in its row), and no counted label at all.
func TestCausalLMLossFused(t *testing.T) {
	tests := []struct {
		name    string
		dtype   gotch.DType
		b, t, v int64
		ignore  int   // every ignore-th label is IgnoreIndex (0: none)
		nanAt   int64 // flat index of a NaN logit, -1: none
		lossTol float64
		gradTol float64 // relative to the largest gradient
	}{
		{"fp32 V=37", gotch.Float, 3, 7, 37, 4, -1, 1e-6, 1e-5},
		{"fp32 V=64", gotch.Float, 2, 5, 64, 0, -1, 1e-6, 1e-5},
		{"fp32 wide logits", gotch.Float, 2, 9, 3000, 3, -1, 1e-6, 1e-5},
		{"bf16 V=37", gotch.BFloat16, 3, 7, 37, 4, -1, 1e-6, 1.0 / 128},
		{"bf16 V=3000", gotch.BFloat16, 2, 9, 3000, 5, -1, 1e-6, 1.0 / 128},
		{"fp32 NaN logit", gotch.Float, 2, 4, 16, 0, 2*16 + 5, 1e-6, 1e-5},
		{"fp32 all ignored", gotch.Float, 2, 3, 8, 1, -1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := int(tt.b * tt.t * tt.v)
			vals := make([]float32, n)
			for i := range vals {
				vals[i] = float32(math.Sin(float64(i)*0.7)*4 + math.Cos(float64(i%int(tt.v))*1.3))
			}
			if tt.nanAt >= 0 {
				vals[tt.nanAt] = float32(math.NaN())
			}
			rows := make([][]int64, tt.b)
			for i := range rows {
				for j := int64(0); j < tt.t; j++ {
					k := int(int64(i)*tt.t + j)
					y := int64(k*7+3) % tt.v
					if tt.ignore > 0 && k%tt.ignore == 0 {
						y = IgnoreIndex
					}
					rows[i] = append(rows[i], y)
				}
			}
			route := func(fused bool) (loss float64, grad []float32) {
				fusedLoss = fused
				defer func() { fusedLoss = true }()
				run := func() {
					s := tensor.NewScope()
					defer s.Close()
					x := s.T(tensor.FromFloat32s(vals, []int64{tt.b, tt.t, tt.v}, gotch.CPU))
					x = s.T(x.Totype(tt.dtype, false))
					x = s.T(x.SetRequiresGrad(true, false))
					labels := s.T(tensor.FromRows(rows, gotch.CPU))
					l := s.T(CausalLMLoss(x, labels), nil)
					var err error
					loss, err = tensor.Item(l)
					tensor.Check(err)
					tensor.Check(l.Backward())
					g := s.T(s.T(x.Grad(false)).Totype(gotch.Float, false))
					grad, err = tensor.Float32s(g)
					tensor.Check(err)
				}
				err := tensor.Catch(run)
				if tt.dtype == gotch.BFloat16 {
					err = tensor.Autocast(gotch.CPU, gotch.BFloat16, run)
				}
				if err != nil {
					t.Fatal(err)
				}
				return loss, grad
			}
			wantLoss, wantGrad := route(false)
			gotLoss, gotGrad := route(true)
			if math.IsNaN(wantLoss) != math.IsNaN(gotLoss) || math.Abs(gotLoss-wantLoss) > tt.lossTol*math.Abs(wantLoss) {
				t.Fatalf("loss %v, ATen route %v", gotLoss, wantLoss)
			}
			scale := 0.0
			for _, g := range wantGrad {
				if !math.IsNaN(float64(g)) {
					scale = math.Max(scale, math.Abs(float64(g)))
				}
			}
			for i := range wantGrad {
				w, g := float64(wantGrad[i]), float64(gotGrad[i])
				if math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > tt.gradTol*scale {
					t.Fatalf("grad[%d] = %v, ATen route %v (largest %v)", i, g, w, scale)
				}
			}
		})
	}
}
