package t5

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
)

// genFixture is testdata/generate/<model>.json (scripts/fixtures/make_generate.py).
type genFixture struct {
	Cases []struct {
		Name   string `json:"name"`
		Inputs struct {
			IDs  [][]int64 `json:"input_ids"`
			Mask [][]int64 `json:"attention_mask"`
		} `json:"inputs"`
		Kwargs    map[string]any `json:"generate_kwargs"`
		Sequences [][]int64      `json:"sequences"`
		Scores    []float64      `json:"sequences_scores"`
		LogProbs  [][]float64    `json:"token_logprobs"`
	} `json:"cases"`
}

// config maps HF generate kwargs onto generate.Config (eos_token_id may be
// a single id in HF).
func config(t *testing.T, kwargs map[string]any) generate.Config {
	if eos, ok := kwargs["eos_token_id"].(float64); ok {
		kwargs["eos_token_id"] = []float64{eos}
	}
	delete(kwargs, "decoder_start_token_id") // the model's config supplies it
	raw, err := json.Marshal(kwargs)
	if err != nil {
		t.Fatal(err)
	}
	c := generate.Default()
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("kwargs %s: %v", raw, err)
	}
	return c
}

// TestGenerateMatchesHF runs every case of testdata/generate/{t5,mt5}.json
// through generate.Generate with the cached Stepper: ids must be equal,
// with and without output scores, beam scores and greedy token log-probs
// within 1e-4.
func TestGenerateMatchesHF(t *testing.T) {
	for _, name := range []string{"t5", "mt5"} {
		m := loadFixture(t, name)
		data, err := os.ReadFile(filepath.Join("../../../testdata/generate", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var f genFixture
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		for _, c := range f.Cases {
			t.Run(name+"/"+c.Name, func(t *testing.T) {
				before := tensor.Live()
				cfg := config(t, c.Kwargs)
				// without output scores greedy cases choose through the
				// LM head's screen: the same ids
				chosen, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: c.Inputs.IDs, Mask: c.Inputs.Mask}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				cfg.OutputScores = true
				out, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: c.Inputs.IDs, Mask: c.Inputs.Mask}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(chosen.Sequences, out.Sequences, slices.Equal) {
					t.Errorf("without output scores %v, with %v", chosen.Sequences, out.Sequences)
				}
				if d := tensor.Live() - before; d != 0 {
					t.Errorf("%d tensors leaked", d)
				}
				if len(out.Sequences) != len(c.Sequences) {
					t.Fatalf("%d sequences, want %d", len(out.Sequences), len(c.Sequences))
				}
				for i, want := range c.Sequences {
					if !slices.Equal(out.Sequences[i], want) {
						t.Errorf("row %d: %v, want %v", i, out.Sequences[i], want)
					}
				}
				worst := 0.0
				for i, want := range c.Scores {
					worst = max(worst, math.Abs(float64(out.Scores[i])-want))
				}
				for i, row := range c.LogProbs {
					for j, want := range row {
						worst = max(worst, math.Abs(float64(out.LogProbs[i][j])-want))
					}
				}
				t.Logf("max abs diff of scores/log-probs: %.3g", worst)
				if worst > 1e-4 {
					t.Errorf("scores differ from HF by %.3g", worst)
				}
			})
		}
	}
}
