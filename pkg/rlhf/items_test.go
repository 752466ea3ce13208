package rlhf

import (
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
)

// TestLabelledMatchesTokenLoss: the item count the loop weighs a batch by
// (labelled) is the count tokenLoss averages over, for a causal LM
// (shifted) and a masked LM, with padding and unlearned positions.
func TestLabelledMatchesTokenLoss(t *testing.T) {
	ig := int64(data.IgnoreIndex)
	labels := [][]int64{
		{5, 6, ig, 7, 8},   // an unlearned position inside
		{ig, ig, 3, 4, ig}, // prompt, response, padding
		{9, ig, ig, ig, ig},
	}
	for _, tc := range []struct {
		name  string
		from  int
		shift bool
		want  int
	}{
		{"causal", 1, true, 3 + 2 + 0},
		{"masked", 0, false, 4 + 2 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := labelled(labels, tc.from); got != tc.want {
				t.Errorf("labelled = %d, want %d", got, tc.want)
			}
			err := tensor.Catch(func() {
				s := tensor.NewScope()
				defer s.Close()
				lb := s.T(tensor.FromRows(labels, gotch.CPU))
				lg := s.T(tensor.FromFloat32s(make([]float32, 3*5*10), []int64{3, 5, 10}, gotch.CPU))
				if tc.shift {
					lg, lb = shiftCausal(lg, lb)
					s.Add(lg)
					s.Add(lb)
				}
				loss, _, count := tokenLoss(lg, lb)
				s.Add(loss)
				if int(count) != tc.want {
					t.Errorf("tokenLoss counts %v, labelled %d", count, tc.want)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
