package heads

import (
	"slices"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Fixture tests of these heads on HF/TRL outputs are in pkg/models/gpt2
// (gpt2-seqcls, gpt2-valuehead); here the index rules on small inputs.

func ints(t *testing.T, x *tensor.Tensor) []int64 {
	t.Helper()
	defer tensor.Free(x)
	v, err := tensor.Int64s(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func rows(t *testing.T, r [][]int64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromRows(r, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tensor.Free(x) })
	return x
}

func TestLastIndex(t *testing.T) {
	cases := []struct {
		name string
		in   [][]int64
		fn   func(x *tensor.Tensor) *tensor.Tensor
		want []int64
	}{
		// HF: (argmax(ids == pad) - 1) mod T
		{"by pad id: right, left, none", [][]int64{{5, 6, 0, 0}, {0, 0, 7, 8}, {1, 2, 3, 4}},
			func(x *tensor.Tensor) *tensor.Tensor { return LastByPadID(x, 0) }, []int64{1, 3, 3}},
		{"by pad id: a real token equal to pad breaks it, as in HF", [][]int64{{5, 9, 6, 9}},
			func(x *tensor.Tensor) *tensor.Tensor { return LastByPadID(x, 9) }, []int64{0}},
		{"by mask: right, left, none, empty", [][]int64{{1, 1, 0, 0}, {0, 0, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}},
			LastByMask, []int64{1, 3, 3, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []int64
			if err := tensor.Catch(func() { got = ints(t, c.fn(rows(t, c.in))) }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestGatherLast(t *testing.T) {
	x := rows(t, [][]int64{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}})
	var got []int64
	err := tensor.Catch(func() {
		s := tensor.NewScope()
		defer s.Close()
		h := s.T(x.View([]int64{2, 3, 2}, false)) // [B=2, T=3, H=2]
		idx := rows(t, [][]int64{{2, 0}})
		flat := s.T(idx.View([]int64{2}, false))
		got = ints(t, GatherLast(h, flat))
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{4, 5, 6, 7}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v (row 0 position 2, row 1 position 0)", got, want)
	}
}

func TestValueHead(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	v := NewValue(store.Root().Sub("v_head"), 4, 0.5)
	if got := store.Names(); !slices.Equal(got, []string{"v_head.summary.bias", "v_head.summary.weight"}) {
		t.Fatalf("store names %v", got)
	}
	h, _ := ts.Ones([]int64{2, 3, 4}, gotch.Float, gotch.CPU)
	defer tensor.Free(h)
	last := rows(t, [][]int64{{2, 1}})
	before := tensor.Live()
	err := tensor.Catch(func() {
		idx := must(last.View([]int64{2}, false))
		defer tensor.Free(idx)
		eval := v.Forward(h, idx, false)
		defer eval.Close()
		if s := tensor.Shape(eval.PerToken); s[0] != 2 || s[1] != 3 {
			t.Fatalf("per-token shape %v, want [2 3]", s)
		}
		per, _ := tensor.Float32s(eval.PerToken)
		at, _ := tensor.Float32s(eval.Last)
		if at[0] != per[2] || at[1] != per[4] {
			t.Fatalf("last %v, want per-token[0][2], [1][1] of %v", at, per)
		}
		a, b := v.Forward(h, idx, true), v.Forward(h, idx, true)
		defer a.Close()
		defer b.Close()
		pa, _ := tensor.Float32s(a.PerToken)
		pb, _ := tensor.Float32s(b.PerToken)
		if slices.Equal(pa, pb) {
			t.Fatal("dropout 0.5 in training gave identical values twice")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Live() - before; got != 0 {
		t.Fatalf("%d tensors leaked", got)
	}
}

func must(x *tensor.Tensor, err error) *tensor.Tensor {
	tensor.Check(err)
	return x
}
