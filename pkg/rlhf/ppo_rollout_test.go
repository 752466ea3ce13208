package rlhf

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"
)

// TestClassifierRewardIgnoresPadding scores a ragged batch with the
// gpt2-seqcls fixture and each sample alone: right padding must not
// change a reward.
func TestClassifierRewardIgnoresPadding(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "models", "gpt2-seqcls")
	r, closeReward, err := LoadClassifierReward(dir, 1, gotch.CPU)
	if err != nil {
		t.Skipf("fixture: %v", err)
	}
	defer closeReward()
	queries := [][]int64{{5, 6, 7}, {8}, {9, 10}}
	responses := [][]int64{{11, 12}, {13, 14, 15, 16}, {17}}
	batch, err := r.Rewards(context.Background(), queries, responses)
	if err != nil {
		t.Fatal(err)
	}
	for i := range queries {
		alone, err := r.Rewards(context.Background(), queries[i:i+1], responses[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(alone[0]-batch[i]) > 1e-5 {
			t.Errorf("sample %d: reward %g in the batch, %g alone", i, batch[i], alone[0])
		}
	}
	if _, _, err := LoadClassifierReward(dir, 2, gotch.CPU); err == nil {
		t.Error("label 2 of a 2-label classifier was accepted")
	}
}

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
			cfg := DefaultPPOConfig()
			cfg.BatchSize, cfg.MiniBatchSize = 4, 4
			tr, err := NewPPOTrainer(cfg, p, tc.policy(t))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			rc := DefaultRolloutConfig()
			rc.MinNewTokens, rc.MaxNewTokens = 3, 9
			rc.Generate.EOSTokenID = []int64{2}
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
					if len(r) == 0 || len(r) > rc.MaxNewTokens {
						t.Errorf("seed %d row %d: %d tokens, want 1..%d", seed, i, len(r), rc.MaxNewTokens)
					}
				}
				if longest < rc.MinNewTokens && !allEndWith(responses, 2) {
					t.Errorf("seed %d: longest response %d < min %d without eos", seed, longest, rc.MinNewTokens)
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
