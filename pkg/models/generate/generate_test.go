package generate_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// hfCase is one case of testdata/generate/<model>.json
// (scripts/fixtures/make_generate.py).
type hfCase struct {
	Name   string
	Inputs struct {
		InputIDs      [][]int64 `json:"input_ids"`
		AttentionMask [][]int64 `json:"attention_mask"`
	}
	Kwargs         json.RawMessage `json:"generate_kwargs"`
	Sequences      [][]int64
	TokenLogprobs  [][]float64 `json:"token_logprobs"`
	SequenceScores []float64   `json:"sequences_scores"`
}

// config reads HF's generate kwargs over Default.
func (c hfCase) config(t *testing.T) generate.Config {
	t.Helper()
	cfg := generate.Default()
	if err := json.Unmarshal(c.Kwargs, &cfg); err != nil {
		t.Fatalf("generate_kwargs %s: %v", c.Kwargs, err)
	}
	return cfg
}

func readHF(t *testing.T, path string) []hfCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []hfCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f.Cases
}

func loadGPT2(t *testing.T) *gpt2.Model {
	t.Helper()
	m, store, err := gpt2.Load("../../../testdata/models/gpt2", gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return m
}

// TestGPT2MatchesHF: greedy, beam search (early stopping true/false, two
// return sequences), no-repeat n-gram, repetition penalty, min new tokens
// and bad words give HF's exact ids on a left-padded batch and on each
// prompt alone; greedy log-probs and beam scores agree within 1e-4.
//
// It runs with the weights as stored and packed for decoding
// (layers.FP32, what gotrl generate uses): the same ids. Every case runs
// with output scores, and greedy ones also without, where GPT-2 chooses
// through its screen of the LM head instead of reading the logits.
func TestGPT2MatchesHF(t *testing.T) {
	m, store, err := gpt2.Load("../../../testdata/models/gpt2", gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	for _, p := range []layers.Precision{layers.None, layers.FP32} {
		if err := layers.Quantize(store, p, &m.LM.Linear); err != nil {
			t.Fatal(err)
		}
		for _, c := range readHF(t, "../../../testdata/generate/gpt2.json") {
			testHFCase(t, string(p)+"/"+c.Name, m, c)
			if len(c.TokenLogprobs) > 0 {
				testHFCase(t, string(p)+"/"+c.Name+"/ids only", m, hfCase{Name: c.Name, Inputs: c.Inputs, Kwargs: c.Kwargs, Sequences: c.Sequences})
			}
		}
	}
}

func testHFCase(t *testing.T, name string, m *gpt2.Model, c hfCase) {
	t.Run(name, func(t *testing.T) {
		cfg := c.config(t)
		cfg.OutputScores = len(c.TokenLogprobs) > 0
		out, err := generate.Generate(context.Background(), m.Stepper(),
			generate.Batch{IDs: c.Inputs.InputIDs, Mask: c.Inputs.AttentionMask}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !equalRows(out.Sequences, c.Sequences) {
			t.Fatalf("sequences\n got %v\nwant %v", out.Sequences, c.Sequences)
		}
		for i, want := range c.TokenLogprobs {
			for j, w := range want {
				if g := float64(out.LogProbs[i][j]); math.Abs(g-w) > 1e-4 {
					t.Errorf("row %d token %d: log-prob %g, want %g", i, j, g, w)
				}
			}
		}
		for i, w := range c.SequenceScores {
			if g := float64(out.Scores[i]); math.Abs(g-w) > 1e-4 {
				t.Errorf("row %d: sequence score %g, want %g", i, g, w)
			}
		}
	})
}

func equalRows(a, b [][]int64) bool {
	return slices.EqualFunc(a, b, func(x, y []int64) bool { return slices.Equal(x, y) })
}

// TestBatchEqualsAlone: every row of a left-padded batch generates what
// its prompt generates alone (greedy and beam), without HF in the loop.
func TestBatchEqualsAlone(t *testing.T) {
	m := loadGPT2(t)
	prompts := [][]int64{{311, 172, 53, 379, 214, 56}, {150, 377, 291}, {7, 8, 9, 10}}
	ids, mask := leftPad(prompts)
	eos, pad := int64(103), int64(0)
	for _, beams := range []int{1, 3} {
		c := generate.Default()
		c.MaxNewTokens, c.NumBeams, c.EOSTokenID, c.PadTokenID = 10, beams, []int64{eos}, &pad
		c.OutputScores = true
		batch, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: ids, Mask: mask}, c)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range prompts {
			alone, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: [][]int64{p}}, c)
			if err != nil {
				t.Fatal(err)
			}
			got := trimPad(batch.Sequences[i][len(ids[0])-len(p):], pad)
			want := trimPad(alone.Sequences[0], pad)
			if !slices.Equal(got, want) {
				t.Errorf("beams %d prompt %d: batch row %v, alone %v", beams, i, got, want)
			}
			if beams == 1 {
				n := len(want) - len(p)
				for j := 0; j < n; j++ {
					if d := batch.LogProbs[i][j] - alone.LogProbs[0][j]; d > 1e-4 || d < -1e-4 {
						t.Errorf("prompt %d token %d: log-prob %g in batch, %g alone", i, j, batch.LogProbs[i][j], alone.LogProbs[0][j])
					}
				}
			}
		}
	}
}

func leftPad(prompts [][]int64) (ids, mask [][]int64) {
	w := 0
	for _, p := range prompts {
		w = max(w, len(p))
	}
	for _, p := range prompts {
		row, m := make([]int64, w), make([]int64, w)
		copy(row[w-len(p):], p)
		for j := w - len(p); j < w; j++ {
			m[j] = 1
		}
		ids, mask = append(ids, row), append(mask, m)
	}
	return ids, mask
}

func trimPad(r []int64, pad int64) []int64 {
	for len(r) > 0 && r[len(r)-1] == pad {
		r = r[:len(r)-1]
	}
	return r
}

func TestSamplingIsReproducible(t *testing.T) {
	m := loadGPT2(t)
	run := func(seed int64) [][]int64 {
		c := generate.Default()
		c.DoSample, c.TopK, c.MaxNewTokens, c.NumReturnSequences, c.Seed = true, 0, 12, 3, seed
		out, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: [][]int64{{311, 172, 53}}}, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Sequences) != 3 {
			t.Fatalf("%d sequences, want 3", len(out.Sequences))
		}
		return out.Sequences
	}
	a, b, other := run(7), run(7), run(8)
	if !equalRows(a, b) {
		t.Fatalf("seed 7 twice: %v vs %v", a, b)
	}
	if equalRows(a, other) {
		t.Fatalf("seeds 7 and 8 sampled the same %v", a)
	}
	if slices.Equal(a[0], a[1]) && slices.Equal(a[1], a[2]) {
		t.Fatalf("three samples of one prompt are identical: %v", a)
	}
}

func TestGenerateFreesEverything(t *testing.T) {
	m := loadGPT2(t)
	pad := int64(0)
	ids, mask := leftPad([][]int64{{5, 6, 7}, {8, 9}})
	before := tensor.Live()
	for _, beams := range []int{1, 2} {
		c := generate.Default()
		c.MaxNewTokens, c.NumBeams, c.EOSTokenID, c.PadTokenID = 5, beams, []int64{103}, &pad
		if _, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: ids, Mask: mask}, c); err != nil {
			t.Fatal(err)
		}
	}
	if got := tensor.Live() - before; got != 0 {
		t.Fatalf("%d tensors leaked", got)
	}
}

func TestGenerateErrors(t *testing.T) {
	m := loadGPT2(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	long := make([]int64, 60)
	cases := []struct {
		name   string
		ctx    context.Context
		prompt generate.Batch
		edit   func(c *generate.Config)
		want   string
	}{
		{"ragged", context.Background(), generate.Batch{IDs: [][]int64{{1, 2}, {3}}}, nil, "prompt 1 has 1 ids"},
		{"no prompts", context.Background(), generate.Batch{}, nil, "no prompts"},
		{"bad config", context.Background(), generate.Batch{IDs: [][]int64{{1}}}, func(c *generate.Config) { c.TopP = 2 }, "top_p 2"},
		{"id past vocab", context.Background(), generate.Batch{IDs: [][]int64{{1, 999}}}, nil, "999 outside [0, vocab_size 512)"},
		{"past n_positions", context.Background(), generate.Batch{IDs: [][]int64{long}}, nil, "exceeds n_positions 64"},
		{"cancelled", ctx, generate.Batch{IDs: [][]int64{{1, 2}}}, nil, "context canceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := generate.Default()
			cfg.MaxNewTokens = 10
			if c.edit != nil {
				c.edit(&cfg)
			}
			before := tensor.Live()
			_, err := generate.Generate(c.ctx, m.Stepper(), c.prompt, cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if got := tensor.Live() - before; got != 0 {
				t.Fatalf("%d tensors leaked on error", got)
			}
		})
	}
}

// TestCacheEqualsRecompute: greedy and beam search through the key/value
// cache give the ids that recomputing the whole prefix gives.
func TestCacheEqualsRecompute(t *testing.T) {
	m := loadGPT2(t)
	ids, mask := leftPad([][]int64{{311, 172, 53, 379, 214, 56}, {150, 377, 291}})
	pad := int64(0)
	for _, beams := range []int{1, 3} {
		c := generate.Default()
		c.MaxNewTokens, c.NumBeams, c.PadTokenID, c.NoRepeatNgramSize = 10, beams, &pad, 3
		var got [2][][]int64
		for i, s := range []generate.Stepper{m.Stepper(), m.UncachedStepper()} {
			out, err := generate.Generate(context.Background(), s, generate.Batch{IDs: ids, Mask: mask}, c)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = out.Sequences
		}
		if !equalRows(got[0], got[1]) {
			t.Errorf("beams %d: cache %v, recompute %v", beams, got[0], got[1])
		}
	}
}
