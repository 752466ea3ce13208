package layers

import (
	"slices"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

func rows(t *testing.T, r ...[]int64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromRows(r, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tensor.Free(x) })
	return x
}

func ints(t *testing.T, x *tensor.Tensor) []int64 {
	t.Helper()
	v, err := tensor.Int64s(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestUniLMAndPadding checks the seq2seq mask of one row by hand: segments
// [0 0 1 1 0] where the last slot is padding; query i sees key j iff
// cumsum(seg)[j] ≤ cumsum(seg)[i] and j is not padding.
func TestUniLMAndPadding(t *testing.T) {
	var got []int64
	err := tensor.Catch(func() {
		s := tensor.NewScope()
		defer s.Close()
		uni := s.Add(UniLMAllowed(rows(t, []int64{0, 0, 1, 1, 0})))      // [1, 1, 5, 5]
		pad := s.Add(KeyPaddingAllowed(rows(t, []int64{1, 1, 1, 1, 0}))) // [1, 1, 1, 5]
		got = ints(t, s.Add(And(pad, uni)))                              // pad first: it broadcasts
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{
		1, 1, 0, 0, 0, // sources see sources
		1, 1, 0, 0, 0,
		1, 1, 1, 0, 0, // first target: sources and itself
		1, 1, 1, 1, 0, // second target: all but the padding
		1, 1, 1, 1, 0, // the pad query (cumsum 2) sees what the last target sees
	}
	if !slices.Equal(got, want) {
		t.Errorf("allowed = %v, want %v", got, want)
	}
	if And(nil, nil) != nil {
		t.Errorf("And of nothing is not nil")
	}
}

// TestAttendWithoutMask: a nil bias attends everywhere, like a zero bias.
func TestAttendWithoutMask(t *testing.T) {
	err := tensor.Catch(func() {
		s := tensor.NewScope()
		defer s.Close()
		q := s.T(ts.Randn([]int64{2, 3, 4, 5}, gotch.Float, gotch.CPU))
		k := s.T(ts.Randn([]int64{2, 3, 6, 5}, gotch.Float, gotch.CPU))
		v := s.T(ts.Randn([]int64{2, 3, 6, 5}, gotch.Float, gotch.CPU))
		zero := s.T(ts.Zeros([]int64{1, 1, 1, 6}, gotch.Float, gotch.CPU))
		a := s.Add(Attend(q, k, v, nil, 0.5, 0, false))
		b := s.Add(Attend(q, k, v, zero, 0.5, 0, false))
		d := s.T(s.T(s.T(a.Sub(b, false)).Abs(false)).Max(false))
		if m, err := tensor.Item(d); err != nil || m > 1e-6 {
			t.Errorf("nil bias differs from a zero bias by %g (%v)", m, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
