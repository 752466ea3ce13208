package data

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCorruptSpans checks the layout by undoing it: replacing each sentinel
// of the input by the tokens after the same sentinel in the target gives
// the original row back, and the noise count is round(n·density).
func TestCorruptSpans(t *testing.T) {
	const eos = 1
	sentinel := func(k int) int64 { return int64(99 - k) } // <extra_id_k> counts down, as in T5
	tests := []struct {
		name    string
		n       int
		density float64
		mean    float64
		noise   int
	}{
		{"book default", 40, 0.15, 3, 6},
		{"one span", 10, 0.2, 3, 2},
		{"dense", 20, 0.5, 2, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := make([]int64, tt.n)
			for i := range row {
				row[i] = int64(10 + i)
			}
			rng := rand.New(rand.NewPCG(7, 8))
			for range 50 {
				in, tg, err := CorruptSpans(row, SpanOptions{Density: tt.density, MeanSpan: tt.mean, Sentinel: sentinel, EOS: eos}, rng)
				if err != nil {
					t.Fatal(err)
				}
				if in[len(in)-1] != eos || tg[len(tg)-1] != eos {
					t.Fatalf("input %v / target %v do not end with eos", in, tg)
				}
				in, tg = in[:len(in)-1], tg[:len(tg)-1]
				spans := map[int64][]int64{}
				var cur int64 = -1
				noise := 0
				for _, id := range tg {
					if id >= 80 {
						cur = id
						continue
					}
					spans[cur] = append(spans[cur], id)
					noise++
				}
				var back []int64
				for _, id := range in {
					if id >= 80 {
						back = append(back, spans[id]...)
						continue
					}
					back = append(back, id)
				}
				if !slices.Equal(back, row) {
					t.Fatalf("input %v + target %v rebuild %v, want %v", in, tg, back, row)
				}
				if noise != tt.noise {
					t.Fatalf("%d noise tokens, want %d", noise, tt.noise)
				}
				if tg[0] != sentinel(0) {
					t.Fatalf("target starts with %d, want sentinel 0", tg[0])
				}
			}
		})
	}
}

func TestCorruptSpansTooShort(t *testing.T) {
	_, _, err := CorruptSpans([]int64{5}, SpanOptions{Density: 0.15, MeanSpan: 3, Sentinel: func(int) int64 { return 99 }, EOS: -1}, rand.New(rand.NewPCG(1, 1)))
	if err == nil {
		t.Error("a 1-token row gave no error")
	}
}
