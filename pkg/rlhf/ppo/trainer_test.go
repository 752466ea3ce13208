package ppo

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/t5"
	"github.com/gotrl/gotrl/pkg/rlhf/reward"
)

// expectedPPOStats is TRL's EXPECTED_STATS for Trainer.step()
// (tests/test_ppo_trainer.py, 0.11.4), with the time keys.
var expectedPPOStats = strings.Fields(`
objective/kl objective/kl_dist objective/logprobs objective/ref_logprobs objective/kl_coef objective/entropy
ppo/mean_non_score_reward ppo/mean_scores ppo/std_scores
tokens/queries_len_mean tokens/queries_len_std tokens/queries_dist
tokens/responses_len_mean tokens/responses_len_std tokens/responses_dist
ppo/loss/policy ppo/loss/value ppo/loss/total
ppo/policy/entropy ppo/policy/approxkl ppo/policy/policykl ppo/policy/clipfrac
ppo/policy/advantages ppo/policy/advantages_mean ppo/policy/ratio
ppo/returns/mean ppo/returns/var
ppo/val/vpred ppo/val/error ppo/val/clipfrac ppo/val/mean ppo/val/var ppo/val/var_explained
ppo/learning_rate
time/ppo/forward_pass time/ppo/compute_rewards time/ppo/compute_advantages
time/ppo/optimize_step time/ppo/calc_stats time/ppo/total`)

func TestPPOConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"mini_batch_not_dividing", func(c *Config) { c.BatchSize, c.MiniBatchSize = 10, 4 }, "multiple of mini_batch_size 4"},
		{"accumulation_not_dividing", func(c *Config) { c.BatchSize, c.MiniBatchSize, c.GradientAccumulationSteps = 8, 4, 3 }, "= 12"},
		{"kl_penalty", func(c *Config) { c.KLPenalty = "js" }, `kl_penalty "js"`},
		{"gamma", func(c *Config) { c.Gamma = 1.5 }, "gamma 1.5"},
		{"padding_side", func(c *Config) { c.PaddingSide = "middle" }, "padding_side"},
		{"score_norm_without_scaling", func(c *Config) { c.UseScoreNorm = true }, "use_score_norm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// tinyGPT2 is a 2-layer GPT-2 over a 16-token vocabulary.
func tinyGPT2(t *testing.T) *ValueModel {
	t.Helper()
	c := gpt2.Default()
	inner := int64(64)
	c.VocabSize, c.NPositions, c.NEmbd, c.NLayer, c.NHead, c.NInner = 16, 32, 32, 2, 4, &inner
	c.ResidPdrop, c.EmbdPdrop, c.AttnPdrop = 0, 0, 0
	c.BosTokenID, c.EosTokenID = nil, nil
	store := nn.NewStore(gotch.CPU)
	m, err := gpt2.New(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	return withValueHead(t, gpt2.NewCausalLM(m, store))
}

// withValueHead adds a value head to lm and closes both at the test's end.
func withValueHead(t *testing.T, lm models.LM) *ValueModel {
	t.Helper()
	p, err := WithValueHead(lm, 0)
	if err != nil {
		lm.Close()
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// tinyT5 is a 2+2-layer T5 over a 16-token vocabulary.
func tinyT5(t *testing.T) *ValueModel {
	t.Helper()
	c := t5.DefaultConfig()
	c.VocabSize, c.DModel, c.DKV, c.DFF, c.NumLayers, c.NumHeads, c.DropoutRate = 16, 32, 8, 64, 2, 4, 0
	c.RelativeBuckets, c.RelativeMaxDistance = 8, 16
	store := nn.NewStore(gotch.CPU)
	m, err := t5.New(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	return withValueHead(t, t5.NewSeq2SeqLM(m, store))
}

// copyPolicy loads p's weights into a fresh policy of the same shape.
func copyPolicy[P Policy](t *testing.T, p P, fresh func(*testing.T) P) P {
	t.Helper()
	q := fresh(t)
	for i, v := range q.Stores()[0].Vars() {
		if err := tensor.CopyInto(v.T, p.Stores()[0].Vars()[i].T); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

// snapshot copies every trainable tensor, keyed "<store>:<name>".
func snapshot(t *testing.T, p Policy) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for i, st := range p.Stores() {
		for _, v := range st.Trainable() {
			out[strconv.Itoa(i)+":"+v.Name] = ppoValues(t, v.T)
		}
	}
	return out
}

var (
	stepQueries   = [][]int64{{3, 4, 5}, {6, 7}, {8}, {9, 10, 11, 12}}
	stepResponses = [][]int64{{1, 2}, {3, 4, 5}, {6}, {7, 8}}
)

// TestStepUpdatesEveryParameter takes one step on a decoder and an
// encoder-decoder policy: every trainable tensor must move (it got a
// gradient) and the stat keys must be TRL's EXPECTED_STATS.
func TestStepUpdatesEveryParameter(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*testing.T) (Policy, Policy)
		left   bool
	}{
		{"gpt2_right_padding", func(t *testing.T) (Policy, Policy) { p := tinyGPT2(t); return p, copyPolicy(t, p, tinyGPT2) }, false},
		{"gpt2_left_padding", func(t *testing.T) (Policy, Policy) { p := tinyGPT2(t); return p, copyPolicy(t, p, tinyGPT2) }, true},
		{"t5", func(t *testing.T) (Policy, Policy) { p := tinyT5(t); return p, copyPolicy(t, p, tinyT5) }, false},
		{"actor_critic", func(t *testing.T) (Policy, Policy) {
			a := tinyGPT2(t)
			return ActorCritic{Actor: a, Critic: tinyGPT2(t)}, copyPolicy(t, a, tinyGPT2)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tensor.Seed(1)
			policy, ref := tc.policy(t)
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.MiniBatchSize, cfg.PPOEpochs, cfg.LearningRate = 4, 2, 1, 1e-3
			cfg.KLPenalty = PenaltyFull
			if tc.left {
				cfg.PaddingSide = Left
			}
			tr, err := NewTrainer(cfg, policy, ref)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			before := snapshot(t, policy)
			live := tensor.Live()
			stats, err := tr.Step(stepQueries, stepResponses, []float64{1, -1, 0.5, 2})
			if err != nil {
				t.Fatal(err)
			}
			if d := tensor.Live() - live; d > 4*int64(len(before)) { // Adam moments: 2 per tensor (actor+critic: per store)
				t.Errorf("%d more live tensors after Step", d)
			}
			after := snapshot(t, policy)
			for name, b := range before {
				if tc.name == "actor_critic" && strings.HasPrefix(name, "0:v_head.") {
					continue // the actor's value head plays no part
				}
				if slices.Equal(b, after[name]) {
					t.Errorf("%s did not change", name)
				}
			}
			if got, want := stats.Keys(), slices.Sorted(slices.Values(expectedPPOStats)); !slices.Equal(got, want) {
				t.Errorf("stat keys\n got %v\nwant %v", got, want)
			}
			if kl := stats.Scalars["objective/kl"]; math.Abs(kl) > 1e-5 {
				t.Errorf("objective/kl = %g with policy == reference, want 0", kl)
			}
		})
	}
}

func TestStepRejectsBadInput(t *testing.T) {
	p := tinyGPT2(t)
	cfg := DefaultConfig()
	cfg.BatchSize, cfg.MiniBatchSize = 4, 2
	tr, err := NewTrainer(cfg, p, copyPolicy(t, p, tinyGPT2))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tests := []struct {
		name      string
		q, r      [][]int64
		scores    []float64
		wantError string
	}{
		{"nan_score", stepQueries, stepResponses, []float64{1, math.NaN(), 0, 0}, "score 1 is NaN"},
		{"wrong_batch", stepQueries[:3], stepResponses[:3], []float64{1, 2, 3}, "batch_size is 4"},
		{"empty_response", stepQueries, [][]int64{{1}, {}, {2}, {3}}, []float64{0, 0, 0, 0}, "sample 1"},
		{"negative_id", stepQueries, [][]int64{{1}, {2}, {-2}, {3}}, []float64{0, 0, 0, 0}, "negative id -2"},
		{"id_past_vocab", stepQueries, [][]int64{{1}, {2}, {99}, {3}}, []float64{0, 0, 0, 0}, "vocab_size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tr.Step(tc.q, tc.r, tc.scores)
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantError)
			}
		})
	}
	if _, err := NewTrainer(cfg, p, p); err == nil {
		t.Error("a reference sharing the policy's store was accepted")
	}
}

// countToken is the rule reward of the learning test: how often id
// appears in the response.
func countToken(id int64) reward.Func {
	return func(_, responses [][]int64) ([]float64, error) {
		out := make([]float64, len(responses))
		for i, r := range responses {
			for _, x := range r {
				if x == id {
					out[i]++
				}
			}
		}
		return out, nil
	}
}

// TestPPOLearnsRuleReward runs rollout → reward → Step for a few dozen
// iterations with reward = number of token 7 in the response: the mean
// reward of the last 5 iterations must clearly beat the first 5 while the
// KL to the reference stays bounded.
func TestPPOLearnsRuleReward(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	tests := []struct {
		name   string
		policy func(*testing.T) (Policy, Policy)
	}{
		{"gpt2", func(t *testing.T) (Policy, Policy) { p := tinyGPT2(t); return p, copyPolicy(t, p, tinyGPT2) }},
		{"t5", func(t *testing.T) (Policy, Policy) { p := tinyT5(t); return p, copyPolicy(t, p, tinyT5) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tensor.Seed(3)
			policy, ref := tc.policy(t)
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.MiniBatchSize, cfg.PPOEpochs, cfg.LearningRate = 16, 8, 4, 1e-3
			cfg.InitKLCoef = 0.3
			tr, err := NewTrainer(cfg, policy, ref)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			rc := DefaultRolloutConfig()
			rc.MinLength, rc.MaxLength = 6, 8
			reward := countToken(7)
			queries := make([][]int64, cfg.BatchSize)
			for i := range queries {
				queries[i] = []int64{int64(1 + i%5), int64(2 + i%7), int64(3 + i%3)}[:1+i%3]
			}
			var means []float64
			var maxKL float64
			const iters = 30
			for it := 0; it < iters; it++ {
				responses, err := tr.Rollout(context.Background(), queries, rc, int64(it))
				if err != nil {
					t.Fatal(err)
				}
				scores, err := reward.Rewards(context.Background(), queries, responses)
				if err != nil {
					t.Fatal(err)
				}
				stats, err := tr.Step(queries, responses, scores)
				if err != nil {
					t.Fatal(err)
				}
				means = append(means, stats.Scalars["ppo/mean_scores"])
				maxKL = max(maxKL, stats.Scalars["objective/kl"])
			}
			first, last := avg(means[:5]), avg(means[iters-5:])
			t.Logf("mean reward: first 5 iterations %.3f, last 5 %.3f; max KL %.3f", first, last, maxKL)
			if last < first+1 {
				t.Errorf("mean reward went from %.3f to %.3f, want a rise of at least 1 token", first, last)
			}
			if maxKL > 20 || math.IsNaN(maxKL) {
				t.Errorf("KL to the reference reached %.3f, want it bounded (≤ 20)", maxKL)
			}
		})
	}
}

func avg(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestRunningMoments feeds [1, 3] then [5]: the moments must be those of
// all of 1, 3, 5 (mean 3, unbiased std 2).
func TestRunningMoments(t *testing.T) {
	m := NewRunningMoments()
	mean, std := m.Update([]float32{1, 3})
	ppoClose(t, "batch", []float64{mean, std}, []float64{2, math.Sqrt2}, 1e-12)
	ppoClose(t, "after [1 3]", []float64{m.Mean, m.Std}, []float64{2, math.Sqrt2}, 1e-12)
	m.Update([]float32{5})
	ppoClose(t, "after [5]", []float64{m.Mean, m.Std, m.Count}, []float64{3, 2, 3}, 1e-12)
}

func TestScaleScores(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want []float64
	}{
		{"off", func(*Config) {}, []float64{1, 3}},
		// running mean 2, std √2 after the batch
		{"scaling", func(c *Config) { c.UseScoreScaling = true }, []float64{1 / (math.Sqrt2 + epsFloat32), 3 / (math.Sqrt2 + epsFloat32)}},
		{"norm", func(c *Config) { c.UseScoreScaling, c.UseScoreNorm = true, true }, []float64{-1 / math.Sqrt2, 1 / math.Sqrt2}},
		{"norm_clip", func(c *Config) { c.UseScoreScaling, c.UseScoreNorm, c.ScoreClip = true, true, 0.5 }, []float64{-0.5, 0.5}},
		{"clip", func(c *Config) { c.ScoreClip = 2 }, []float64{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			tr := &Trainer{Config: c, Scores: NewRunningMoments()}
			got32, err := tr.scaleScores([]float64{1, 3})
			if err != nil {
				t.Fatal(err)
			}
			got := []float64{float64(got32[0]), float64(got32[1])}
			ppoClose(t, "scores", got, tc.want, 1e-6)
		})
	}
}
