package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

const (
	tCLS, tSEP, tMASK = 1, 2, 3
	tVocab            = 100
)

func maskOpts(p float64, whole bool) MaskOptions {
	return MaskOptions{
		Prob: p, WholeWord: whole, MaskID: tMASK, Vocab: tVocab,
		Special:   func(id int64) bool { return id == tCLS || id == tSEP },
		Continues: func(id int64) bool { return id >= 50 }, // ids ≥ 50 play "##" pieces
	}
}

// TestMaskProportions: with Prob 1 every non-special token is a target;
// over many draws 80% become [MASK], 10% random, 10% stay (±1.5%).
func TestMaskProportions(t *testing.T) {
	row := []int64{tCLS, 10, 11, 12, 13, 14, 15, 16, 17, tSEP}
	rng := rand.New(rand.NewPCG(1, 2))
	var masked, kept, total float64
	for range 5000 {
		in, lb := Mask(row, maskOpts(1, false), rng)
		for i, id := range row {
			special := id == tCLS || id == tSEP
			if special != (lb[i] == IgnoreIndex) {
				t.Fatalf("position %d (id %d): label %d", i, id, lb[i])
			}
			if special {
				if in[i] != id {
					t.Fatalf("special token %d changed to %d", id, in[i])
				}
				continue
			}
			total++
			switch in[i] {
			case tMASK:
				masked++
			case id:
				kept++ // includes random draws equal to id (1% of 10%)
			}
		}
	}
	if f := masked / total; math.Abs(f-0.8) > 0.015 {
		t.Errorf("[MASK] fraction %.3f, want 0.8", f)
	}
	if f := kept / total; math.Abs(f-0.101) > 0.015 {
		t.Errorf("unchanged fraction %.3f, want ≈ 0.1", f)
	}
}

// TestMaskTokenRate: token mode chooses about Prob of the maskable tokens.
func TestMaskTokenRate(t *testing.T) {
	row := make([]int64, 200)
	for i := range row {
		row[i] = int64(10 + i%40)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var n float64
	for range 200 {
		_, lb := Mask(row, maskOpts(0.15, false), rng)
		for _, l := range lb {
			if l != IgnoreIndex {
				n++
			}
		}
	}
	if f := n / (200 * 200); math.Abs(f-0.15) > 0.01 {
		t.Errorf("chosen fraction %.3f, want 0.15", f)
	}
}

// TestWholeWordMask: words are masked whole and the count is
// round(maskable·Prob) whenever the shuffled words can reach it.
func TestWholeWordMask(t *testing.T) {
	// words: [10 50 51] [11] [12 52] [13] [14] — 8 maskable tokens
	row := []int64{tCLS, 10, 50, 51, 11, 12, 52, 13, 14, tSEP}
	words := [][]int{{1, 2, 3}, {4}, {5, 6}, {7}, {8}}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		_, lb := Mask(row, maskOpts(0.25, true), rng) // want round(8·0.25) = 2 tokens
		n := 0
		for _, w := range words {
			on := 0
			for _, i := range w {
				if lb[i] != IgnoreIndex {
					on++
				}
			}
			if on != 0 && on != len(w) {
				t.Fatalf("word %v partly masked: labels %v", w, lb)
			}
			n += on
		}
		if n != 2 {
			t.Fatalf("%d tokens masked, want 2: labels %v", n, lb)
		}
	}
}
