package ppo

import (
	"context"
	"testing"
)

// TestRolloutStopsAtEOS samples with an eos id: every response ends at
// its first eos (kept) or at the drawn length, within [min, max].
func TestRolloutStopsAtEOS(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*testing.T) Policy
	}{
		{"gpt2", func(t *testing.T) Policy { return tinyGPT2(t) }},
		{"t5", func(t *testing.T) Policy { return tinyT5(t) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy(t)
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.MiniBatchSize = 4, 4
			tr, err := NewTrainer(cfg, p, tc.policy(t))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			rc := DefaultRolloutConfig()
			rc.MinLength, rc.MaxLength = 3, 9
			rc.EOSTokenID = []int64{2}
			queries := [][]int64{{3, 4, 5}, {6}, {7, 8}, {9, 10, 11, 12}}
			for seed := int64(0); seed < 5; seed++ {
				responses, err := tr.Rollout(context.Background(), queries, rc, seed)
				if err != nil {
					t.Fatal(err)
				}
				longest := 0
				for i, r := range responses {
					longest = max(longest, len(r))
					for j, id := range r {
						if id == 2 && j != len(r)-1 {
							t.Errorf("seed %d row %d: eos at %d of %v", seed, i, j, r)
						}
					}
					if len(r) == 0 || len(r) > rc.MaxLength {
						t.Errorf("seed %d row %d: %d tokens, want 1..%d", seed, i, len(r), rc.MaxLength)
					}
				}
				if longest < rc.MinLength && !allEndWith(responses, 2) {
					t.Errorf("seed %d: longest response %d < min %d without eos", seed, longest, rc.MinLength)
				}
			}
		})
	}
}

func allEndWith(rows [][]int64, id int64) bool {
	for _, r := range rows {
		if len(r) == 0 || r[len(r)-1] != id {
			return false
		}
	}
	return true
}
