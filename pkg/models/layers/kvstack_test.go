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
		_, v := c.Layers[1].Tensors()
		got, _ := tensor.Float32s(v)
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

// TestKVGrows appends a 3-position prompt and then 70 single positions,
// reserving room after the prompt or not, reorders rows in between and
// after, checks every cached value against the concatenation the cache
// replaces, and counts the buffer's growths: doubling grows at 4 and at 65;
// a reservation that covers the 74 positions grows once, to exactly that.
func TestKVGrows(t *testing.T) {
	for _, tc := range []struct {
		name          string
		reserve       int64 // positions reserved after the prompt (0: none)
		growths, room int
	}{
		{"doubling", 0, 2, 130},
		{"reserved", 71, 1, 74},
		{"reserved too little", 10, 3, 130},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tensor.Live()
			err := tensor.Catch(func() {
				var c KV
				defer c.Close()
				growths := 0
				// want[r] is row r's cached values, one per position (D = 1, H = 1)
				want := [][]float32{{}, {}}
				step := func(vals [][]float32) {
					s := tensor.NewScope()
					defer s.Close()
					var flat []float32
					for r := range vals {
						flat = append(flat, vals[r]...)
						want[r] = append(want[r], vals[r]...)
					}
					x := s.T(tensor.FromFloat32s(flat, []int64{2, 1, int64(len(vals[0])), 1}, gotch.CPU))
					room := c.room
					k, v := c.Append(x, x)
					if c.room != room {
						growths++
					}
					for _, got := range []*tensor.Tensor{k, v} {
						vals, err := tensor.Float32s(got)
						tensor.Check(err)
						if w := slices.Concat(want...); !slices.Equal(vals, w) {
							t.Fatalf("after %d positions: cache %v, want %v", c.Len(), vals, w)
						}
					}
				}
				reorder := func(idx ...int64) {
					s := tensor.NewScope()
					defer s.Close()
					c.Reorder(s.T(tensor.FromInt64s(idx, []int64{int64(len(idx))}, gotch.CPU)))
					old := slices.Clone(want)
					for i, j := range idx {
						want[i] = slices.Clone(old[j])
					}
				}
				step([][]float32{{1, 2, 3}, {-1, -2, -3}})
				if tc.reserve > 0 {
					c.Reserve(c.Len() + tc.reserve)
				}
				for i := range 70 {
					step([][]float32{{float32(10 + i)}, {float32(-10 - i)}})
					if i == 30 || i == 65 {
						reorder(1, 0)
					}
				}
				reorder(1, 1)
				step([][]float32{{7}, {8}})
				if c.Len() != 74 {
					t.Errorf("Len = %d, want 74", c.Len())
				}
				if growths != tc.growths || c.room != int64(tc.room) {
					t.Errorf("grew %d times to room %d, want %d times to %d", growths, c.room, tc.growths, tc.room)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := tensor.Live() - before; d != 0 {
				t.Errorf("%d tensors leaked", d)
			}
		})
	}
}
