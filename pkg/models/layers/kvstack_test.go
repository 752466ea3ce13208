package layers

import (
	"slices"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// TestKVStack appends two steps to a 2-layer cache of 3 rows, reorders the
// rows for beam search and checks lengths, row contents and freeing.
func TestKVStack(t *testing.T) {
	var nilStack *KVStack
	if nilStack.Len() != 0 || nilStack.Layer(0) != nil {
		t.Fatal("a nil stack is not an empty cache")
	}
	before := tensor.Live()
	err := tensor.Catch(func() {
		c := NewKVStack(2)
		defer c.Close()
		for step := range 2 {
			s := tensor.NewScope()
			// row r of step s holds 10·r + s in every slot: [3, 1, 1, 2]
			vals := s.T(tensor.FromInt64s([]int64{int64(step), int64(10 + step), int64(20 + step)}, []int64{3, 1, 1, 1}, gotch.CPU))
			kv := s.T(s.T(vals.Totype(gotch.Float, false)).Expand([]int64{3, 1, 1, 2}, false, false))
			for i := range c.Layers {
				c.Layer(i).Append(kv, kv)
			}
			s.Close()
		}
		if c.Len() != 2 {
			t.Errorf("Len = %d, want 2", c.Len())
		}
		idx, err := tensor.FromInt64s([]int64{2, 2, 0}, []int64{3}, gotch.CPU)
		tensor.Check(err)
		defer tensor.Free(idx)
		if err := c.Reorder(idx); err != nil {
			t.Fatal(err)
		}
		got, _ := tensor.Float32s(c.Layers[1].V)
		want := []float32{20, 20, 21, 21, 20, 20, 21, 21, 0, 0, 1, 1} // rows 2, 2, 0 over both steps
		if !slices.Equal(got, want) {
			t.Errorf("reordered values %v, want %v", got, want)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := tensor.Live() - before; d != 0 {
		t.Errorf("%d tensors leaked", d)
	}
}
