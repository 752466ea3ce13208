package heads

import (
	"slices"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestGreedyNext: Next chooses argmax's ids over Forward's logits for a
// head as stored and packed in float32, and hands back Forward's logits
// for one packed in bfloat16, which no screen serves; Close lets the next
// run make its screen from the weights as they are then.
func TestGreedyNext(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	tensor.Seed(3)
	h := NewLM(store.Root().Sub("lm_head"), 40, 700, 0.02)
	x := ts.MustRandn([]int64{3, 40}, gotch.Float, gotch.CPU)
	defer tensor.Free(x)
	argmax := func() []int64 {
		var want []int64
		tensor.Check(tensor.NoGrad(func() {
			want = ints(t, h.Forward(x).MustArgmax([]int64{-1}, false, true))
		}))
		return want
	}
	for _, c := range []struct {
		prec     layers.Precision
		screened bool
	}{{layers.None, true}, {layers.FP32, true}, {layers.BF16, false}, {layers.None, true}} {
		if err := layers.Quantize(store, c.prec); err != nil {
			t.Fatal(err)
		}
		var g Greedy
		var ids []int64
		var logits *tensor.Tensor
		var err error
		tensor.Check(tensor.NoGrad(func() { ids, logits, err = g.Next(h, x) }))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.screened && (ids == nil || logits != nil):
			t.Errorf("%s: ids %v, logits %v; want ids", c.prec, ids, logits)
		case c.screened && !slices.Equal(ids, argmax()):
			t.Errorf("%s: ids %v, argmax %v", c.prec, ids, argmax())
		case !c.screened && (ids != nil || logits == nil):
			t.Errorf("%s: ids %v, logits %v; want the logits", c.prec, ids, logits)
		}
		tensor.Free(logits)
		g.Close()
		// the weights change between runs (as training changes them)
		tensor.Check(tensor.NoGrad(func() { tensor.Check(h.Weight.Normal_(0, 0.02)) }))
	}
}
