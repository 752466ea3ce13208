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
