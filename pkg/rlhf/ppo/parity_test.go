package ppo

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// ppoFixture is testdata/ppo/<name>/fixture.json (make_ppo.py).
type ppoFixture struct {
	InitialWeights string                     `json:"initial_weights"`
	PadTokenID     int64                      `json:"pad_token_id"`
	PaddingSide    string                     `json:"padding_side"`
	Config         map[string]json.RawMessage `json:"config"`
	Queries        [][]int64                  `json:"queries"`
	Steps          []struct {
		Step         int                        `json:"step"`
		Responses    [][]int64                  `json:"responses"`
		Scores       []float64                  `json:"scores"`
		KLCoefBefore float64                    `json:"kl_coef_before"`
		KLCoefAfter  float64                    `json:"kl_coef_after"`
		Permutations [][]int                    `json:"permutations"`
		Stats        map[string]json.RawMessage `json:"stats"`
		TimeKeys     []string                   `json:"time_keys"`
	} `json:"steps"`
}

// fixtureConfig turns the fixture's Config fields into a Config
// (null = off, as TRL's None).
func fixtureConfig(t *testing.T, fx ppoFixture) Config {
	t.Helper()
	c := DefaultConfig()
	set := func(key string, dst any) {
		raw, ok := fx.Config[key]
		if !ok {
			t.Fatalf("fixture config lacks %q", key)
		}
		if string(raw) == "null" {
			return
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("fixture config %q: %v", key, err)
		}
	}
	set("seed", &c.Seed)
	set("learning_rate", &c.LearningRate)
	set("adap_kl_ctrl", &c.AdapKLCtrl)
	set("init_kl_coef", &c.InitKLCoef)
	set("kl_penalty", &c.KLPenalty)
	set("target", &c.Target)
	set("horizon", &c.Horizon)
	set("gamma", &c.Gamma)
	set("lam", &c.Lam)
	set("cliprange", &c.Cliprange)
	set("cliprange_value", &c.CliprangeValue)
	set("vf_coef", &c.VFCoef)
	set("batch_size", &c.BatchSize)
	set("mini_batch_size", &c.MiniBatchSize)
	set("gradient_accumulation_steps", &c.GradientAccumulationSteps)
	set("ppo_epochs", &c.PPOEpochs)
	set("max_grad_norm", &c.MaxGradNorm)
	set("early_stopping", &c.EarlyStopping)
	set("target_kl", &c.TargetKL)
	set("ratio_threshold", &c.RatioThreshold)
	set("use_score_scaling", &c.UseScoreScaling)
	set("use_score_norm", &c.UseScoreNorm)
	set("score_clip", &c.ScoreClip)
	set("whiten_rewards", &c.WhitenRewards)
	c.PadTokenID, c.PaddingSide = fx.PadTokenID, Side(fx.PaddingSide)
	return c
}

// TestPPOStepMatchesTRL runs Trainer.Step on the fixtures' queries,
// responses and scores from the fixtures' initial weights, with TRL's
// recorded permutations, and compares every stat TRL's step() returned
// (all but the wall-clock time/*, whose keys must exist) within 1e-4
// relative, the KL coefficient after each step, and every updated policy
// weight within 1e-5.
func TestPPOStepMatchesTRL(t *testing.T) {
	for _, name := range []string{"two_steps", "minibatch", "options", "stops"} {
		t.Run(name, func(t *testing.T) { runPPOFixture(t, name, false) })
		// gotrl's default skips the LM head on query positions: the same
		// losses, updates and weights; only the per-token arrays that TRL
		// reports for query positions too (objective/logprobs,
		// objective/ref_logprobs, ppo/policy/ratio) are left out.
		t.Run(name+"_response_logits_only", func(t *testing.T) { runPPOFixture(t, name, true) })
	}
}

func runPPOFixture(t *testing.T, name string, responseLogitsOnly bool) {
	dir := filepath.Join("..", "..", "..", "testdata", "ppo", name)
	b, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		t.Fatalf("fixture (committed under testdata/ppo): %v", err)
	}
	var fx ppoFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	cfg := fixtureConfig(t, fx)
	cfg.ResponseLogitsOnly = responseLogitsOnly
	model := filepath.Join("..", "..", "..", fx.InitialWeights)
	policy, err := LoadValueModel(model, models.Options{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer policy.Close()
	ref, err := LoadValueModel(model, models.Options{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	tr, err := NewTrainer(cfg, policy, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.trlClipOnce = true // see Trainer.trlClipOnce
	for _, step := range fx.Steps {
		perms := step.Permutations
		tr.Shuffle = func(n int) []int {
			if len(perms) == 0 {
				t.Fatalf("step %d asked for more permutations than TRL drew", step.Step)
			}
			p := perms[0]
			perms = perms[1:]
			return p
		}
		if got := tr.KL.Value(); got != step.KLCoefBefore {
			t.Errorf("step %d: kl_coef before %v, want %v", step.Step, got, step.KLCoefBefore)
		}
		stats, err := tr.Step(fx.Queries, step.Responses, step.Scores)
		if err != nil {
			t.Fatalf("step %d: %v", step.Step, err)
		}
		want := step.Stats
		if responseLogitsOnly {
			want = maps.Clone(want)
			for _, k := range []string{"objective/logprobs", "objective/ref_logprobs", "ppo/policy/ratio"} {
				delete(want, k)
				delete(stats.Arrays, k)
			}
		}
		compareStats(t, step.Step, stats, want, step.TimeKeys)
		if got := tr.KL.Value(); math.Abs(got-step.KLCoefAfter) > 1e-9*step.KLCoefAfter {
			t.Errorf("step %d: kl_coef after %v, want %v", step.Step, got, step.KLCoefAfter)
		}
		compareWeights(t, filepath.Join(dir, "step"+strconv.Itoa(step.Step)+".safetensors"), policy)
	}
}

// compareStats checks every stat of want (TRL) against got, scalars and
// every array element, within 1e-4 relative or 2e-6 absolute: a per-sample
// KL of 1.7e-3 is a sum of differences of float32 log-probs near −6, whose
// rounding alone is ~5e-7 per token, so near-zero values get the floor.
func compareStats(t *testing.T, step int, got Stats, want map[string]json.RawMessage, timeKeys []string) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, _ := flatJSON(t, want[k])
		g, ok := got.Arrays[k]
		if v, isScalar := got.Scalars[k]; isScalar {
			g, ok = []float64{v}, true
		}
		if !ok {
			t.Errorf("step %d: stat %q missing", step, k)
			continue
		}
		if len(g) != len(w) {
			t.Errorf("step %d: stat %q has %d values, want %d", step, k, len(g), len(w))
			continue
		}
		for i := range w {
			if d := math.Abs(g[i] - w[i]); d > math.Max(1e-4*math.Abs(w[i]), 2e-6) {
				t.Errorf("step %d: %s[%d] = %.8g, want %.8g (|diff| %.2g)", step, k, i, g[i], w[i], d)
			}
		}
	}
	for _, k := range timeKeys {
		if _, ok := got.Scalars[k]; !ok {
			t.Errorf("step %d: timing %q missing", step, k)
		}
	}
	if n := len(got.Keys()); n != len(want)+len(timeKeys) {
		var extra []string
		for _, k := range got.Keys() {
			if _, ok := want[k]; !ok && !strings.HasPrefix(k, "time/") {
				extra = append(extra, k)
			}
		}
		t.Errorf("step %d: %d stat keys, TRL has %d (extra: %v)", step, n, len(want)+len(timeKeys), extra)
	}
	t.Logf("step %d: compared %d stats: %s", step, len(keys), strings.Join(keys, " "))
}

// compareWeights checks every policy tensor against TRL's after-step
// state dict within 1e-5 (absolute + relative), except the key part of
// each c_attn.bias: adding a constant to every key leaves the softmax
// unchanged, so its true gradient is 0 and both sides hold only rounding
// noise, which Adam's g/(|g|+eps) turns into updates of up to ±lr.
func compareWeights(t *testing.T, path string, p *ValueModel) {
	t.Helper()
	want, err := weights.ReadTensors(path, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, w := range want {
			tensor.Free(w)
		}
	}()
	embd := int(p.LM.Dims().Hidden)
	worst, where, skipped, compared := 0.0, "", 0, 0
	for _, v := range p.LM.Store().Vars() {
		w, ok := want[v.Name]
		if !ok {
			t.Errorf("%s: TRL state has no %s", path, v.Name)
			continue
		}
		g, wv := ppoValues(t, v.T), ppoValues(t, w)
		keyBias := strings.HasSuffix(v.Name, "attn.c_attn.bias")
		for i := range g {
			if keyBias && i >= embd && i < 2*embd {
				skipped++
				continue
			}
			compared++
			if d := math.Abs(g[i]-wv[i]) / (1 + math.Abs(wv[i])); d > worst {
				worst, where = d, fmt.Sprintf("%s[%d]", v.Name, i)
			}
		}
	}
	if worst > 1e-5 {
		t.Errorf("%s: weights differ by up to %.3g (at %s), want ≤ 1e-5", path, worst, where)
	}
	t.Logf("%s: %d weights compared, max difference %.3g (at %s); %d key-bias elements skipped", filepath.Base(path), compared, worst, where, skipped)
}
