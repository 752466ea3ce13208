package generate

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var inf = float32(math.Inf(-1))

func TestProcessors(t *testing.T) {
	logs := func(p ...float64) []float32 {
		out := make([]float32, len(p))
		for i, v := range p {
			out[i] = float32(math.Log(v))
		}
		return out
	}
	nucleus := logs(0.5, 0.3, 0.15, 0.05)
	cases := []struct {
		name   string
		p      Processor
		scores []float32
		ids    []int64
		newTok int
		want   []float32
	}{
		{"repetition divides positive, multiplies negative, once per token",
			RepetitionPenalty(2), []float32{2, -2, 1, 0.5}, []int64{0, 1, 1}, 0, []float32{1, -4, 1, 0.5}},
		{"no-repeat bigram bans the token that followed the last id",
			NoRepeatNgram(2), []float32{0, 0, 0, 0, 0, 0}, []int64{5, 3, 1, 5}, 0, []float32{0, 0, 0, inf, 0, 0}},
		{"no-repeat trigram needs the two last ids",
			NoRepeatNgram(3), []float32{0, 0, 0, 0}, []int64{1, 2, 3, 2, 1, 2}, 0, []float32{0, 0, 0, inf}},
		{"no-repeat with a row shorter than n-1",
			NoRepeatNgram(3), []float32{0, 0}, []int64{1}, 0, []float32{0, 0}},
		{"bad words: single always, pair after its prefix, lone eos dropped",
			BadWords([][]int64{{2}, {1, 4}, {3}, {0, 5}}, []int64{3}), []float32{0, 0, 0, 0, 0, 0}, []int64{0, 1}, 0, []float32{0, 0, inf, 0, inf, 0}},
		{"min new tokens bans eos before the minimum",
			MinNewTokens(2, []int64{1, 3}), []float32{0, 0, 0, 0}, nil, 1, []float32{0, inf, 0, inf}},
		{"min new tokens lets eos through at the minimum",
			MinNewTokens(2, []int64{1}), []float32{0, 0}, nil, 2, []float32{0, 0}},
		{"min length counts the prefix: a row of 3 ids is short of 4",
			MinLength(4, []int64{1}), []float32{0, 0}, []int64{7, 7, 7}, 0, []float32{0, inf}},
		{"min length lets eos through once the row is long enough",
			MinLength(4, []int64{1}), []float32{0, 0}, []int64{7, 7, 7, 7}, 1, []float32{0, 0}},
		{"temperature divides", Temperature(2), []float32{2, -4, 1}, nil, 0, []float32{1, -2, 0.5}},
		{"top-k keeps the k largest", TopK(2, 1), []float32{1, 4, 2, 3}, nil, 0, []float32{inf, 4, inf, 3}},
		{"top-k keeps ties with the k-th", TopK(2, 1), []float32{1, 3, 3, 3}, nil, 0, []float32{inf, 3, 3, 3}},
		{"top-k raised to min keep", TopK(1, 2), []float32{1, 4, 2, 3}, nil, 0, []float32{inf, 4, inf, 3}},
		// probabilities .5 .3 .15 .05: ascending cumulative .05 .20 .50 1;
		// top_p .6 drops cumulative ≤ .4 → {.5, .3} (mass .8 > .6)
		{"top-p keeps the smallest set above p", TopP(0.6, 1), slices.Clone(nucleus), nil, 0, []float32{nucleus[0], nucleus[1], inf, inf}},
		{"top-p .45 keeps the top token", TopP(0.45, 1), slices.Clone(nucleus), nil, 0, []float32{nucleus[0], inf, inf, inf}},
		{"top-p keeps min keep", TopP(0.45, 2), slices.Clone(nucleus), nil, 0, []float32{nucleus[0], nucleus[1], inf, inf}},
		{"top-p 1 keeps everything", TopP(1, 1), slices.Clone(nucleus), nil, 0, nucleus},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := slices.Clone(c.scores)
			c.p(got, c.ids, c.newTok)
			for i := range got {
				if math.Abs(float64(got[i]-c.want[i])) > 1e-6 && got[i] != c.want[i] {
					t.Fatalf("scores %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestProcessorOrder(t *testing.T) {
	c := Default()
	c.DoSample, c.Temperature, c.TopK, c.TopP, c.RepetitionPenalty = true, 0.5, 2, 0.9, 1.5
	if n := len(processors(c, 1)); n != 4 {
		t.Fatalf("%d processors, want repetition, temperature, top-k, top-p", n)
	}
	// Temperature before top-k before top-p: with scores halved first,
	// top-k sees [.. 8 ..] and top-p a sharper distribution.
	scores := []float32{4, 3, 0, -1}
	for _, p := range processors(c, 1) {
		p(scores, []int64{1}, 0)
	}
	// repetition: 3 → 2; temperature: [8 4 0 -2]; top-k 2: [8 4 -inf -inf];
	// top-p .9: p(8) = 1/(1+e^-4) ≈ .982 > .9 → only 8 survives.
	want := []float32{8, inf, inf, inf}
	if !slices.Equal(scores, want) {
		t.Fatalf("scores %v, want %v", scores, want)
	}
	c.DoSample = false
	if n := len(processors(c, 1)); n != 1 {
		t.Fatalf("greedy: %d processors, want only repetition (warpers sample-only)", n)
	}
}

// TestSampleFollowsSoftmax draws 40000 times from 3 tokens and checks the
// frequencies against the softmax within 4 standard errors.
func TestSampleFollowsSoftmax(t *testing.T) {
	scores := []float32{float32(math.Log(0.6)), float32(math.Log(0.3)), float32(math.Log(0.1)), inf}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 40000
	var counts [4]int
	for i := 0; i < n; i++ {
		counts[sample(scores, logSumExp(scores), rng)]++
	}
	for i, p := range []float64{0.6, 0.3, 0.1, 0} {
		got := float64(counts[i]) / n
		if se := math.Sqrt(p*(1-p)/n) + 1e-12; math.Abs(got-p) > 4*se {
			t.Errorf("token %d: frequency %.4f, want %.2f", i, got, p)
		}
	}
}

func TestHypothesesKeepBest(t *testing.T) {
	h := &hypotheses{size: 2, lengthPenalty: 1, early: false, worst: 1e9}
	h.add([]int64{1}, -4, 2) // -2
	h.add([]int64{2}, -3, 3) // -1
	h.add([]int64{3}, -9, 3) // -3: worse than both, dropped
	h.add([]int64{4}, -1, 2) // -0.5: evicts -2
	var got []float64
	for _, b := range h.beams {
		got = append(got, b.score)
	}
	if !slices.Equal(got, []float64{-1, -0.5}) || h.worst != -1 {
		t.Fatalf("scores %v worst %v, want [-1 -0.5] and -1", got, h.worst)
	}
	// early_stopping false: done when the worst kept ≥ best running / len
	if h.done(-5, 4) != true || h.done(-3, 4) != false {
		t.Fatal("cur_len heuristic: want done at -5/4 = -1.25, not at -3/4")
	}
}

func TestConfigValidate(t *testing.T) {
	pad := int64(-1)
	cases := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"top_p above 1", func(c *Config) { c.TopP = 1.5 }, "top_p 1.5: want in (0, 1]"},
		{"top_p zero", func(c *Config) { c.TopP = 0 }, "top_p 0"},
		{"negative temperature", func(c *Config) { c.Temperature = -1 }, "temperature -1"},
		{"zero temperature when sampling", func(c *Config) { c.DoSample, c.Temperature = true, 0 }, "temperature 0"},
		{"no beams", func(c *Config) { c.NumBeams = 0 }, "num_beams 0"},
		{"more sequences than beams", func(c *Config) { c.NumBeams, c.NumReturnSequences = 2, 3 }, "num_return_sequences 3 > num_beams 2"},
		{"no new tokens", func(c *Config) { c.MaxNewTokens = 0 }, "max_new_tokens 0"},
		{"negative top_k", func(c *Config) { c.TopK = -1 }, "top_k -1"},
		{"zero repetition penalty", func(c *Config) { c.RepetitionPenalty = 0 }, "repetition_penalty 0"},
		{"empty bad word", func(c *Config) { c.BadWordsIDs = [][]int64{{1}, {}} }, "bad_words_ids[1] is empty"},
		{"negative pad", func(c *Config) { c.PadTokenID = &pad }, "pad_token_id -1"},
		{"beam sampling", func(c *Config) { c.DoSample, c.NumBeams = true, 2 }, "beam sampling"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			c.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default: %v", err)
	}
	ok := Default()
	ok.DoSample, ok.NumReturnSequences = true, 4
	if err := ok.Validate(); err != nil {
		t.Fatalf("sampling 4 sequences: %v", err)
	}
}

func TestIDsReadOneOrMany(t *testing.T) {
	cases := []struct {
		name, json, yaml string
		want             IDs
	}{
		{"one", `{"eos_token_id": 2}`, "eos_token_id: 2", IDs{2}},
		{"many", `{"eos_token_id": [2, 5]}`, "eos_token_id: [2, 5]", IDs{2, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var j, y Config
			if err := json.Unmarshal([]byte(c.json), &j); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(c.yaml), &y); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(j.EOSTokenID, c.want) || !slices.Equal(y.EOSTokenID, c.want) {
				t.Fatalf("json %v, yaml %v, want %v", j.EOSTokenID, y.EOSTokenID, c.want)
			}
		})
	}
	var bad Config
	if err := json.Unmarshal([]byte(`{"eos_token_id": "x"}`), &bad); err == nil {
		t.Fatal("a string eos_token_id was accepted")
	}
}
