package run

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// TestLabelScoresMatchVerbalizer checks the in-graph reduction PET trains
// on against pkg/prompt's Go reduction that inference classifies by.
func TestLabelScoresMatchVerbalizer(t *testing.T) {
	words := prompt.WordIDs{{{7, 8}, {9}}, {{10}, {11, 12, 13}}, {{14}}} // K = 8
	tok := [][]float64{
		{-1, -2, -3, -4, -5, -6, -7, -8},
		{-0.5, -9, -0.1, -2, -3, -0.2, -6, -1.5},
	}
	for _, wa := range []prompt.Agg{prompt.First, prompt.Mean, prompt.Max} {
		for _, la := range []prompt.Agg{prompt.Mean, prompt.Max} {
			t.Run(string(wa)+"/"+string(la), func(t *testing.T) {
				v, err := prompt.NewVerbalizer([]string{"a", "b", "c"}, [][]string{{"x", "y"}, {"z", "w"}, {"u"}}, wa, la)
				if err != nil {
					t.Fatal(err)
				}
				var got []float64
				checkNoLeak(t, func() {
					flat := make([]float32, 0, 16)
					for _, row := range tok {
						for _, x := range row {
							flat = append(flat, float32(x))
						}
					}
					in, err := tensor.FromFloat32s(flat, []int64{2, 8}, gotch.CPU)
					if err != nil {
						t.Fatal(err)
					}
					defer tensor.Free(in)
					if err := tensor.Catch(func() {
						out := labelScores(in, v, words)
						defer tensor.Free(out)
						got, err = tensor.Float64s(out)
						tensor.Check(err)
					}); err != nil {
						t.Fatal(err)
					}
				})
				ts, err := tokenScoresFrom(tok, words)
				if err != nil {
					t.Fatal(err)
				}
				for b := range tok {
					want, err := v.LabelScores(ts[b])
					if err != nil {
						t.Fatal(err)
					}
					for l := range want {
						if math.Abs(got[b*3+l]-want[l]) > 1e-6 {
							t.Errorf("example %d label %d: graph %.6f, verbalizer %.6f", b, l, got[b*3+l], want[l])
						}
					}
				}
			})
		}
	}
}

// tokenScoresFrom goes through tokenScores, the runners' copy-out path.
func tokenScoresFrom(tok [][]float64, words prompt.WordIDs) ([]prompt.TokenScores, error) {
	var flat []float32
	for _, row := range tok {
		for _, x := range row {
			flat = append(flat, float32(x))
		}
	}
	in, err := tensor.FromFloat32s(flat, []int64{int64(len(tok)), int64(len(tok[0]))}, gotch.CPU)
	if err != nil {
		return nil, err
	}
	defer tensor.Free(in)
	return tokenScores(in, words)
}

func TestLayoutOrder(t *testing.T) {
	got := layout(prompt.WordIDs{{{5, 6}}, {{7}, {8}}})
	want := []slotToken{
		{Label: 0, Word: 0, Tok: 0, WordIndex: 0, ID: 5},
		{Label: 0, Word: 0, Tok: 1, WordIndex: 0, ID: 6},
		{Label: 1, Word: 0, Tok: 0, WordIndex: 1, ID: 7},
		{Label: 1, Word: 1, Tok: 0, WordIndex: 2, ID: 8},
	}
	if len(got) != len(want) {
		t.Fatalf("layout %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
