package data

import (
	"reflect"
	"slices"
	"testing"
)

// TestDistributedSampler: W ranks with batch b take disjoint shards whose
// union, batch by batch, is the plan of one process with batch W·b; the
// short last batch is padded by repetition or dropped.
func TestDistributedSampler(t *testing.T) {
	lens := make([]int, 23)
	for i := range lens {
		lens[i] = (i * 7) % 23
	}
	for _, tc := range []struct {
		name          string
		world, batch  int
		window        int
		dropLast      bool
		wantBatches   int
		wantLastShard int // rows per rank in the last batch
	}{
		{"2 ranks", 2, 4, 0, false, 3, 4},          // 23 = 8+8+7: last global batch 7 → 4 per rank (one repeat)
		{"3 ranks bucketed", 3, 2, 2, false, 4, 2}, // 23 = 6·3+5 → 2 per rank (one repeat)
		{"2 ranks drop last", 2, 4, 0, true, 2, 4},
		{"4 ranks tiny tail", 4, 5, 0, false, 2, 1}, // 23 = 20+3 → 1 per rank, padded to 4
	} {
		t.Run(tc.name, func(t *testing.T) {
			one := Sampler{Lens: lens, BatchSize: tc.batch * tc.world, Shuffle: true, Seed: 9, BucketWindow: tc.window, DropLast: tc.dropLast}
			want, err := one.Epoch(1)
			if err != nil {
				t.Fatal(err)
			}
			shards := make([][][]int, tc.world)
			for r := range tc.world {
				s := Sampler{Lens: lens, BatchSize: tc.batch, Shuffle: true, Seed: 9, BucketWindow: tc.window, DropLast: tc.dropLast, Rank: r, World: tc.world}
				if s.Batches() != tc.wantBatches {
					t.Fatalf("rank %d: Batches() = %d, want %d", r, s.Batches(), tc.wantBatches)
				}
				if shards[r], err = s.Epoch(1); err != nil {
					t.Fatal(err)
				}
				if len(shards[r]) != tc.wantBatches || len(shards[r][len(shards[r])-1]) != tc.wantLastShard {
					t.Fatalf("rank %d: %d batches, last of %d rows; want %d, %d", r, len(shards[r]), len(shards[r][len(shards[r])-1]), tc.wantBatches, tc.wantLastShard)
				}
			}
			for i, g := range want {
				var union []int
				for r := range tc.world {
					union = append(union, shards[r][i]...)
				}
				if len(g) == tc.batch*tc.world { // full batch: exactly the single process's, in order
					if !reflect.DeepEqual(union, g) {
						t.Errorf("batch %d: ranks' union %v, one process %v", i, union, g)
					}
					continue
				}
				// the short batch: every row of it, some twice, nothing else
				set := slices.Clone(union)
				slices.Sort(set)
				set = slices.Compact(set)
				gs := slices.Clone(g)
				slices.Sort(gs)
				if !reflect.DeepEqual(set, gs) || len(union) != tc.wantLastShard*tc.world {
					t.Errorf("last batch %v: ranks' union %v", g, union)
				}
			}
		})
	}
	if _, err := (&Sampler{Lens: lens, BatchSize: 2, Rank: 2, World: 2}).Epoch(0); err == nil {
		t.Error("rank 2 of 2 accepted")
	}
}
