package ppo

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// ppoTensor makes a float32 tensor of the given shape (tests only).
func ppoTensor(t *testing.T, s *tensor.Scope, shape []int64, v ...float64) *tensor.Tensor {
	t.Helper()
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	x, err := tensor.FromFloat32s(f, shape, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	return s.Add(x)
}

// ppoValues reads a tensor back as float64s (tests only).
func ppoValues(t *testing.T, x *tensor.Tensor) []float64 {
	t.Helper()
	v, err := tensor.Float64s(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ppoClose fails unless got and want agree within tol (absolute plus
// relative), element by element.
func ppoClose(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(got[i]) != math.IsNaN(want[i]) {
			t.Errorf("%s[%d] = %.7g, want %.7g (|diff| %.2g)", name, i, got[i], want[i], d)
		}
	}
}

// TestCoreHandComputed checks each function on inputs small enough to
// work out by hand (the arithmetic is in the comments).
func TestCoreHandComputed(t *testing.T) {
	const ln2 = math.Ln2
	s := tensor.NewScope()
	defer s.Close()
	x4 := ppoTensor(t, s, []int64{4}, 1, 2, 3, 4)
	m4 := ppoTensor(t, s, []int64{4}, 1, 0, 1, 1)
	all4 := ppoTensor(t, s, []int64{4}, 1, 1, 1, 1)
	sd := 1 / math.Sqrt(5.0/3+1e-8) // x = 1..4: mean 2.5, unbiased var (2.25+0.25+0.25+2.25)/3
	tests := []struct {
		name string
		run  func() *tensor.Tensor
		want []float64
	}{
		// kept 1, 3, 4
		{"masked_mean", func() *tensor.Tensor { return MaskedMean(x4, m4) }, []float64{8.0 / 3}},
		{"masked_mean_dim", func() *tensor.Tensor {
			return MaskedMeanDim(ppoTensor(t, s, []int64{2, 2}, 1, 2, 3, 4), ppoTensor(t, s, []int64{2, 2}, 1, 0, 1, 1), 1)
		}, []float64{1, 3.5}},
		// deviations −5/3, 1/3, 4/3: Σ² = 42/9; biased 14/9, unbiased 14/6
		{"masked_var_biased", func() *tensor.Tensor { return MaskedVar(x4, m4, false) }, []float64{14.0 / 9}},
		{"masked_var_unbiased", func() *tensor.Tensor { return MaskedVar(x4, m4, true) }, []float64{7.0 / 3}},
		{"masked_whiten", func() *tensor.Tensor { return MaskedWhiten(x4, all4, true) },
			[]float64{-1.5 * sd, -0.5 * sd, 0.5 * sd, 1.5 * sd}},
		{"masked_whiten_keep_mean", func() *tensor.Tensor { return MaskedWhiten(x4, all4, false) },
			[]float64{2.5 - 1.5*sd, 2.5 - 0.5*sd, 2.5 + 0.5*sd, 2.5 + 1.5*sd}},
		{"whiten", func() *tensor.Tensor { return Whiten(x4, true) }, []float64{-1.5 * sd, -0.5 * sd, 0.5 * sd, 1.5 * sd}},
		{"clip_by_value", func() *tensor.Tensor {
			return ClipByValue(ppoTensor(t, s, []int64{4}, -2, 0.5, 3, 5), ppoTensor(t, s, []int64{4}, -1, 0, 2, -1), ppoTensor(t, s, []int64{4}, 1, 1, 4, 1))
		}, []float64{-1, 0.5, 3, 1}},
		// softmax(0, 0) = (½, ½); softmax(ln 3, 0) = (¾, ¼)
		{"logprobs_from_logits", func() *tensor.Tensor {
			return LogprobsFromLogits(ppoTensor(t, s, []int64{1, 2, 2}, 0, 0, math.Log(3), 0), s.T(tensor.FromInt64s([]int64{0, 1}, []int64{1, 2}, gotch.CPU)))
		}, []float64{-ln2, math.Log(0.25)}},
		{"entropy_from_logits", func() *tensor.Tensor {
			return EntropyFromLogits(ppoTensor(t, s, []int64{1, 2, 2}, 0, 0, math.Log(3), 0))
		}, []float64{ln2, -(0.75*math.Log(0.75) + 0.25*math.Log(0.25))}},
		{"kl_penalty_kl", func() *tensor.Tensor {
			return KLPenalty("kl", ppoTensor(t, s, []int64{2}, -1, -2), ppoTensor(t, s, []int64{2}, -1.5, -1))
		}, []float64{0.5, -1}},
		{"kl_penalty_abs", func() *tensor.Tensor {
			return KLPenalty("abs", ppoTensor(t, s, []int64{2}, -1, -2), ppoTensor(t, s, []int64{2}, -1.5, -1))
		}, []float64{0.5, 1}},
		{"kl_penalty_mse", func() *tensor.Tensor {
			return KLPenalty("mse", ppoTensor(t, s, []int64{2}, -1, -2), ppoTensor(t, s, []int64{2}, -1.5, -1))
		}, []float64{0.125, 0.5}},
		// ½·ln(½/¼) + ½·ln(½/¾) = ½·ln(4/3)
		{"kl_penalty_full", func() *tensor.Tensor {
			return KLPenalty("full", ppoTensor(t, s, []int64{1, 2}, math.Log(0.5), math.Log(0.5)), ppoTensor(t, s, []int64{1, 2}, math.Log(0.25), math.Log(0.75)))
		}, []float64{0.5 * math.Log(4.0/3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []float64
			if err := tensor.Catch(func() { got = ppoValues(t, s.Add(tc.run())) }); err != nil {
				t.Fatal(err)
			}
			ppoClose(t, tc.name, got, tc.want, 1e-6)
		})
	}
}

// TestGAEMasksPadding works GAE out by hand on one row whose last
// position is padding carrying a large value and reward: neither may
// reach the response tokens (the book's unmasked PPO lets them).
func TestGAEMasksPadding(t *testing.T) {
	tests := []struct {
		name       string
		gamma, lam float64
		adv, ret   []float64
	}{
		// masked v = (0, 2, 3, 0), r = (0, 0, 1, 0); δ = (2, 1, −2, 0)
		{"gamma1_lam0.5", 1, 0.5, []float64{2, 0, -2, 0}, []float64{2, 2, 1, 0}},
		// δ = (0.5·2, 0.5·3−2, 1−3, 0) = (1, −0.5, −2, 0); A = δ + 0.5·A'
		{"gamma0.5_lam1", 0.5, 1, []float64{0.25, -1.5, -2, 0}, []float64{0.25, 0.5, 1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tensor.NewScope()
			defer s.Close()
			v := ppoTensor(t, s, []int64{1, 4}, 1, 2, 3, 9)
			r := ppoTensor(t, s, []int64{1, 4}, 0, 0, 1, 5)
			m := ppoTensor(t, s, []int64{1, 4}, 0, 1, 1, 0)
			var masked, adv, ret *tensor.Tensor
			if err := tensor.Catch(func() { masked, adv, ret = GAE(v, r, m, tc.gamma, tc.lam) }); err != nil {
				t.Fatal(err)
			}
			s.Add(masked)
			s.Add(adv)
			s.Add(ret)
			ppoClose(t, "values", ppoValues(t, masked), []float64{0, 2, 3, 0}, 1e-7)
			ppoClose(t, "advantages", ppoValues(t, adv), tc.adv, 1e-7)
			ppoClose(t, "returns", ppoValues(t, ret), tc.ret, 1e-7)
		})
	}
}

func TestMaskedVarEmptyMask(t *testing.T) {
	s := tensor.NewScope()
	defer s.Close()
	err := tensor.Catch(func() {
		s.Add(MaskedVar(ppoTensor(t, s, []int64{2}, 1, 2), ppoTensor(t, s, []int64{2}, 0, 0), true))
	})
	if err == nil {
		t.Fatal("masked variance over an empty mask: no error")
	}
}

func TestStackStats(t *testing.T) {
	got := StackStats([]map[string][]float64{{"a": {1}, "b": {1, 2}}, {"a": {3}, "b": {4}}})
	ppoClose(t, "a", MeanRows(got["a"]), []float64{2}, 0)
	ppoClose(t, "b", FlattenRows(got["b"]), []float64{1, 2, 4, -1}, 0) // padded with WANDB_PADDING
	into := map[string]int{}
	PrefixStats("ppo", map[string]int{"loss/value": 1}, into)
	if into["ppo/loss/value"] != 1 {
		t.Errorf("PrefixStats: %v", into)
	}
}

func TestKLControllers(t *testing.T) {
	tests := []struct {
		name  string
		kls   []float64
		steps int
		want  float64
	}{
		{"above_target_clipped", []float64{12}, 4, 0.2 * (1 + 0.2*4/10000)}, // error 1 clipped to 0.2
		{"on_target", []float64{6}, 4, 0.2},
		{"below_target", []float64{3}, 4, 0.2 * (1 - 0.2*4/10000)}, // error −0.5 clipped to −0.2
		{"zero_kl_big_batch", []float64{0}, 4000, 0.2 * 0.92},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewAdaptiveKLController(0.2, 6, 10000)
			for _, kl := range tc.kls {
				c.Update(kl, tc.steps)
			}
			ppoClose(t, "value", []float64{c.Value()}, []float64{tc.want}, 1e-12)
		})
	}
	f := &FixedKLController{Coef: 0.3}
	f.Update(100, 10)
	if f.Value() != 0.3 {
		t.Errorf("fixed controller moved to %g", f.Value())
	}
}

// coreFixture is testdata/ppo/core.json (scripts/fixtures/make_ppo.py).
type coreFixture struct {
	Inputs  map[string]json.RawMessage `json:"inputs"`
	Outputs map[string]json.RawMessage `json:"outputs"`
}

// flatJSON reads nested JSON number lists (or one number) into a flat
// slice and the shape.
func flatJSON(t *testing.T, raw json.RawMessage) ([]float64, []int64) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var flat []float64
	var shape []int64
	var walk func(x any, depth int)
	walk = func(x any, depth int) {
		switch e := x.(type) {
		case float64:
			flat = append(flat, e)
		case []any:
			if len(shape) == depth {
				shape = append(shape, int64(len(e)))
			}
			for _, y := range e {
				walk(y, depth+1)
			}
		}
	}
	walk(v, 0)
	return flat, shape
}

// TestCoreMatchesTRL runs every function on core.json's inputs and
// compares with what TRL 0.11.4 computed from them.
func TestCoreMatchesTRL(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "ppo", "core.json"))
	if err != nil {
		t.Fatalf("fixture (committed under testdata/ppo): %v", err)
	}
	var fx coreFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	s := tensor.NewScope()
	defer s.Close()
	in := func(name string) *tensor.Tensor {
		v, shape := flatJSON(t, fx.Inputs[name])
		return ppoTensor(t, s, shape, v...)
	}
	values, rewards, mask, logits, refLogits := in("values"), in("rewards"), in("mask"), in("logits"), in("ref_logits")
	lv, lshape := flatJSON(t, fx.Inputs["labels"])
	li := make([]int64, len(lv))
	for i, v := range lv {
		li[i] = int64(v)
	}
	labels := s.T(tensor.FromInt64s(li, lshape, gotch.CPU))
	lp, ref := s.Add(LogprobsFromLogits(logits, labels)), s.Add(LogprobsFromLogits(refLogits, labels))
	full, refFull := s.Add(LogprobsFromLogits(logits, nil)), s.Add(LogprobsFromLogits(refLogits, nil))
	lo, hi := s.T(rewards.SubScalar(s.Float(0.5), false)), s.T(rewards.AddScalar(s.Float(0.5), false))
	gae := func(whitenRewards bool, part int) func() *tensor.Tensor {
		return func() *tensor.Tensor {
			r := rewards
			if whitenRewards {
				r = s.Add(MaskedWhiten(s.T(rewards.Mul(mask, false)), mask, false))
			}
			v, a, ret := GAE(values, r, mask, 1, 0.95)
			all := []*tensor.Tensor{v, s.Add(MaskedWhiten(a, mask, true)), ret}
			s.Add(v)
			s.Add(a)
			s.Add(ret)
			return all[part]
		}
	}
	tests := []struct {
		key string
		run func() *tensor.Tensor
		// keep lists the flat indices compared (nil: all).
		keep []int
	}{
		{"masked_mean", func() *tensor.Tensor { return MaskedMean(values, mask) }, nil},
		{"masked_mean_axis1", func() *tensor.Tensor { return MaskedMeanDim(values, mask, 1) }, nil},
		{"masked_var_unbiased", func() *tensor.Tensor { return MaskedVar(values, mask, true) }, nil},
		{"masked_var_biased", func() *tensor.Tensor { return MaskedVar(values, mask, false) }, nil},
		{"masked_whiten", func() *tensor.Tensor { return MaskedWhiten(values, mask, true) }, nil},
		{"masked_whiten_keep_mean", func() *tensor.Tensor { return MaskedWhiten(values, mask, false) }, nil},
		{"whiten", func() *tensor.Tensor { return Whiten(values, true) }, nil},
		{"clip_by_value", func() *tensor.Tensor { return ClipByValue(values, lo, hi) }, nil},
		{"logprobs_from_logits", func() *tensor.Tensor { return s.T(lp.ShallowClone()) }, nil},
		{"entropy_from_logits", func() *tensor.Tensor { return EntropyFromLogits(logits) }, nil},
		{"kl_penalty_kl", func() *tensor.Tensor { return KLPenalty("kl", lp, ref) }, nil},
		{"kl_penalty_abs", func() *tensor.Tensor { return KLPenalty("abs", lp, ref) }, nil},
		{"kl_penalty_mse", func() *tensor.Tensor { return KLPenalty("mse", lp, ref) }, nil},
		{"kl_penalty_full", func() *tensor.Tensor { return KLPenalty("full", full, refFull) }, nil},
		{"compute_advantages.values", gae(false, 0), nil},
		{"compute_advantages.advantages", gae(false, 1), nil},
		{"compute_advantages.returns", gae(false, 2), nil},
		// gotrl re-masks whitened rewards (see computeAdvantages): only row
		// 0's response tokens, which have no padding after them, match TRL.
		{"compute_advantages_whiten_rewards.returns", gae(true, 2), []int{1, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			want, _ := flatJSON(t, fx.Outputs[tc.key])
			var got []float64
			if err := tensor.Catch(func() { got = ppoValues(t, s.Add(tc.run())) }); err != nil {
				t.Fatal(err)
			}
			if tc.keep != nil {
				g, w := make([]float64, len(tc.keep)), make([]float64, len(tc.keep))
				for i, k := range tc.keep {
					g[i], w[i] = got[k], want[k]
				}
				got, want = g, w
			}
			ppoClose(t, tc.key, got, want, 1e-6)
		})
	}
	t.Run("compute_rewards", func(t *testing.T) {
		// rmask rows [1 1 0] and [0 1 1]: responses at [0, 2) and [1, 3).
		rm := in("rmask")
		b := &batch{logprobs: lp, refLogprobs: ref, scores: []float32{1.5, -0.5}}
		tr := &Trainer{Config: DefaultConfig()}
		if err := tensor.Catch(func() {
			b.masks, b.last = responseMasks([]int{0, 1}, [][]int64{{1, 1}, {1, 1}}, 3, gotch.CPU)
			tr.computeRewards(b, 0.2)
		}); err != nil {
			t.Fatal(err)
		}
		defer tensor.Free(b.masks, b.last, b.rewards, b.nonScore, b.kls)
		ppoClose(t, "masks", ppoValues(t, b.masks), ppoValues(t, rm), 0)
		for key, got := range map[string]*tensor.Tensor{"rewards": b.rewards, "non_score_reward": b.nonScore, "kls": b.kls} {
			want, _ := flatJSON(t, fx.Outputs["compute_rewards."+key])
			ppoClose(t, key, ppoValues(t, got), want, 1e-6)
		}
	})
	t.Run("adaptive_kl", func(t *testing.T) {
		kls, _ := flatJSON(t, fx.Inputs["adaptive_kl.kl"])
		want, _ := flatJSON(t, fx.Outputs["adaptive_kl.values"])
		c := NewAdaptiveKLController(0.2, 6, 10000)
		got := make([]float64, len(kls))
		for i, kl := range kls {
			c.Update(kl, 4)
			got[i] = c.Value()
		}
		ppoClose(t, "values", got, want, 1e-15)
	})
}
