package gpt2

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

func newModel(root *nn.Path, c Config) (*Model, error) { return New(root, c) }

// TestForwardMatchesHF compares logits and every hidden state with
// GPT2LMHeadModel's on non-pad positions, loading the same weights from
// safetensors, pytorch_model.bin and a sharded index.
func TestForwardMatchesHF(t *testing.T) {
	ref := filepath.Join(fixtures, "gpt2")
	cases := modeltest.Cases(t, ref)
	exp := modeltest.Expected(t, ref)
	for _, dir := range []string{"gpt2", "gpt2-bin", "gpt2-sharded"} {
		m := build(t, filepath.Join(fixtures, dir), newModel)
		for _, c := range cases {
			t.Run(dir+"/"+c.Name, func(t *testing.T) {
				out, err := m.Forward(Input{
					IDs: c.Tensor(t, "input_ids"), Mask: c.Tensor(t, "attention_mask"),
					Positions: c.Tensor(t, "position_ids"), TypeIDs: c.Tensor(t, "token_type_ids"),
					Labels: c.Tensor(t, "labels"), AllHidden: true,
				}, false)
				if err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				mask := c.Rows(t, "attention_mask")
				got := map[string]*tensor.Tensor{"logits": out.Logits, "last_hidden_state": out.Hidden, "loss": out.Loss}
				for i, h := range out.Hiddens {
					got[fmt.Sprintf("hidden.%d", i)] = h
				}
				for _, name := range c.Outputs {
					if name == "loss" {
						mask = nil
					}
					modeltest.Close(t, name, got[name], exp[c.Name+"."+name], mask)
				}
			})
		}
	}
}

// TestCacheMatchesHF feeds each fixture case in two parts — a prefix of 3,
// then one token at a time through the cache — and compares every step's
// logits with HF's full forward (gpt2-variant: with its per-layer score
// scaling).
func TestCacheMatchesHF(t *testing.T) {
	for _, name := range []string{"gpt2", "gpt2-variant"} {
		testCacheMatchesHF(t, name)
	}
}

func testCacheMatchesHF(t *testing.T, name string) {
	dir := filepath.Join(fixtures, name)
	m := build(t, dir, newModel)
	exp := modeltest.Expected(t, dir)
	for _, c := range modeltest.Cases(t, dir) {
		t.Run(name+"/"+c.Name, func(t *testing.T) {
			ids, mask, pos, types := c.Rows(t, "input_ids"), c.Rows(t, "attention_mask"), c.Rows(t, "position_ids"), c.Rows(t, "token_type_ids")
			wantLogits := exp[c.Name+".logits"]
			if wantLogits == nil {
				t.Skip("no expected logits")
			}
			cache := NewCache(m.Config)
			defer cache.Close()
			T := len(ids[0])
			for start, end := 0, 3; start < T; start, end = end, end+1 {
				in := Input{IDs: rows(t, cols(ids, start, end)), Cache: cache}
				if mask != nil {
					in.Mask = rows(t, cols(mask, 0, end))
				}
				if pos != nil {
					in.Positions = rows(t, cols(pos, start, end))
				}
				if types != nil {
					in.TypeIDs = rows(t, cols(types, start, end))
				}
				out, err := m.Forward(in, false)
				if err != nil {
					t.Fatal(err)
				}
				if got := cache.Len(); got != int64(end) {
					t.Fatalf("cache length %d after %d tokens", got, end)
				}
				w := must(wantLogits.Narrow(1, int64(start), int64(end-start), false))
				var mk [][]int64
				if mask != nil {
					mk = cols(mask, start, end)
				}
				modeltest.Close(t, fmt.Sprintf("logits[%d:%d]", start, end), out.Logits, w, mk)
				tensor.Free(w)
				out.Close()
			}
		})
	}
}

func cols(r [][]int64, from, to int) [][]int64 {
	out := make([][]int64, len(r))
	for i := range r {
		out[i] = r[i][from:to]
	}
	return out
}

func must(x *tensor.Tensor, err error) *tensor.Tensor {
	if err != nil {
		panic(err)
	}
	return x
}

func tinyConfig() Config {
	c, err := LoadConfig(filepath.Join(fixtures, "gpt2", "config.json"))
	if err != nil {
		panic(err)
	}
	return c
}

func TestForwardFreesEverything(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := New(store.Root(), tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	ids := rows(t, [][]int64{{1, 2, 3, 4}, {5, 6, 7, 8}})
	mask := rows(t, [][]int64{{1, 1, 1, 1}, {0, 1, 1, 1}})
	bad := rows(t, [][]int64{{1, 2, 3, 600}})
	before := tensor.Live()
	for i := 0; i < 3; i++ {
		cache := NewCache(m.Config)
		out, err := m.Forward(Input{IDs: ids, Mask: mask, Cache: cache, AllHidden: true}, true)
		if err != nil {
			t.Fatal(err)
		}
		out.Close()
		cache.Close()
		if _, err := m.Forward(Input{IDs: bad}, false); err == nil {
			t.Fatal("id 600 ≥ vocab 512 accepted")
		}
	}
	if got := tensor.Live() - before; got != 0 {
		t.Fatalf("%d tensors leaked by 3 forwards", got)
	}
}

func TestForwardRejectsBadInput(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := New(store.Root(), tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	long := make([]int64, 65)
	full := NewCache(m.Config)
	defer full.Close()
	if out, err := m.Forward(Input{IDs: rows(t, [][]int64{make([]int64, 60)}), Cache: full}, false); err != nil {
		t.Fatal(err)
	} else {
		out.Close()
	}
	floats, _ := ts.Ones([]int64{1, 3}, gotch.Float, gotch.CPU)
	defer tensor.Free(floats)
	cases := []struct {
		name string
		in   Input
		want string
	}{
		{"id past vocab", Input{IDs: rows(t, [][]int64{{1, 2}, {3, 512}})}, "input_ids[1][1] = 512 outside [0, vocab_size 512)"},
		{"negative id", Input{IDs: rows(t, [][]int64{{-1}})}, "input_ids[0][0] = -1"},
		{"too long", Input{IDs: rows(t, [][]int64{long})}, "sequence length 65 (0 cached + 65 new) exceeds n_positions 64"},
		{"too long with cache", Input{IDs: rows(t, [][]int64{make([]int64, 5)}), Cache: full}, "sequence length 65 (60 cached + 5 new)"},
		{"position past n_positions", Input{IDs: rows(t, [][]int64{{1}}), Positions: rows(t, [][]int64{{64}})}, "position_ids[0][0] = 64 outside [0, n_positions 64)"},
		{"mask shape", Input{IDs: rows(t, [][]int64{{1, 2}}), Mask: rows(t, [][]int64{{1, 1, 1}})}, "attention_mask shape [1 3], want [1 2]"},
		{"float ids", Input{IDs: floats}, "dtype"},
		{"label past vocab", Input{IDs: rows(t, [][]int64{{1, 2}}), Labels: rows(t, [][]int64{{-100, 512}})}, "labels[0][1] = 512: want -100 or an id"},
		{"labels without logits", Input{IDs: rows(t, [][]int64{{1, 2}}), Labels: rows(t, [][]int64{{1, 2}}), SkipLogits: true}, "labels need logits"},
		{"token types shape", Input{IDs: rows(t, [][]int64{{1, 2}}), TypeIDs: rows(t, [][]int64{{1}})}, "token_type_ids shape [1 1], want [1 2]"},
		{"no ids", Input{}, "input_ids is nil"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := m.Forward(c.in, false)
			if err == nil {
				out.Close()
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestNullFlags: a flag given as null is false, as in transformers 4.46.3
// (GPT2LMHeadModel built from such a config has an untied lm_head and
// unscaled scores), not the default an absent key gets.
func TestNullFlags(t *testing.T) {
	tests := []struct {
		json         string
		tied, scaled bool
	}{
		{`{}`, true, true},
		{`{"tie_word_embeddings": null, "scale_attn_weights": null}`, false, false},
		{`{"tie_word_embeddings": true, "scale_attn_weights": true}`, true, true},
	}
	for _, tt := range tests {
		c, err := ParseConfig([]byte(tt.json), "config.json")
		if err != nil {
			t.Fatal(err)
		}
		if c.Tied() != tt.tied || c.ScaleAttnWeights != tt.scaled {
			t.Errorf("%s: tied %v, scaled %v; want %v, %v", tt.json, c.Tied(), c.ScaleAttnWeights, tt.tied, tt.scaled)
		}
	}
}

func TestConfig(t *testing.T) {
	null := `{"n_embd": 64, "n_head": 4, "n_layer": 2, "vocab_size": 100, "n_positions": 32, "n_inner": null}`
	cases := []struct {
		name    string
		json    string
		inner   int64
		wantErr string
	}{
		{"n_inner null is 4·n_embd", null, 256, ""},
		{"n_inner set", `{"n_embd": 64, "n_head": 4, "n_inner": 37}`, 37, ""},
		{"heads do not divide", `{"n_embd": 64, "n_head": 5}`, 0, `"n_embd": 64 is not a multiple of n_head 5`},
		{"dropout", `{"attn_pdrop": 1.5}`, 0, `"attn_pdrop": 1.5`},
		{"zero layers", `{"n_layer": 0}`, 0, `"n_layer": 0`},
		{"other family", `{"model_type": "bert"}`, 0, `"model_type"`},
		{"unknown activation", `{"activation_function": "gelu_fancy"}`, 0, `"activation_function": unknown activation "gelu_fancy"`},
		{"cross-attention", `{"add_cross_attention": true}`, 0, `"add_cross_attention": true is not supported`},
		{"pruned heads", `{"pruned_heads": {"0": [1, 2]}}`, 0, `"pruned_heads": map[0:[1 2]]`},
		{"bad json", `{"n_embd": "x"}`, 0, "cannot unmarshal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(c.json), "config.json")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "config.json") {
					t.Fatalf("error %v, want one naming config.json and %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Inner() != c.inner {
				t.Fatalf("Inner() = %d, want %d", got.Inner(), c.inner)
			}
		})
	}
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	c := tinyConfig()
	c.ActivationFunction = "gelu_fancy"
	if _, err := New(store.Root(), c); err == nil || !strings.Contains(err.Error(), "activation_function") {
		t.Fatalf("unknown activation: error %v", err)
	}
}

// TestChineseConfigRuns builds the book's 12×768 Chinese GPT-2 from
// ../shared/configs and runs it once.
func TestChineseConfigRuns(t *testing.T) {
	path := "../../../../shared/configs/gpt2-chinese-config.json"
	if _, err := os.Stat(path); err != nil {
		t.Skip("../shared not present")
	}
	if testing.Short() {
		t.Skip("builds a 100M-parameter model")
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Inner() != 3072 || c.VocabSize != 21128 || c.NLayer != 12 {
		t.Fatalf("config read as inner %d vocab %d layers %d", c.Inner(), c.VocabSize, c.NLayer)
	}
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := New(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := store.NumParams()
	if want := paramCount(c); total != want {
		t.Fatalf("%d parameters, want %d", total, want)
	}
	var out *Output
	err = tensor.NoGrad(func() {
		out, err = m.Forward(Input{IDs: rows(t, [][]int64{{101, 2769, 4263, 102}})}, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if s := tensor.Shape(out.Logits); s[0] != 1 || s[1] != 4 || s[2] != 21128 {
		t.Fatalf("logits shape %v", s)
	}
}

// paramCount is GPT-2's parameter count by hand (lm_head tied).
func paramCount(c Config) int64 {
	C, I := c.NEmbd, c.Inner()
	block := 2*C + (C*3*C + 3*C) + (C*C + C) + 2*C + (C*I + I) + (I*C + C)
	return c.VocabSize*C + c.NPositions*C + c.NLayer*block + 2*C
}

// TestInit checks HF's _init_weights: N(0, 0.02), c_proj at
// 0.02/sqrt(2·n_layer), LayerNorm 1 and 0, zero biases.
func TestInit(t *testing.T) {
	tensor.Seed(1)
	c := Default()
	c.VocabSize, c.NPositions, c.NEmbd, c.NLayer, c.NHead = 1000, 64, 128, 8, 4
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	if _, err := New(store.Root(), c); err != nil {
		t.Fatal(err)
	}
	if total, _ := store.NumParams(); total != paramCount(c) {
		t.Fatalf("%d parameters, want %d", total, paramCount(c))
	}
	cases := []struct {
		name      string
		mean, std float64
	}{
		{"transformer.wte.weight", 0, 0.02},
		{"transformer.wpe.weight", 0, 0.02},
		{"transformer.h.3.attn.c_attn.weight", 0, 0.02},
		{"transformer.h.3.attn.c_proj.weight", 0, 0.005}, // 0.02/sqrt(16)
		{"transformer.h.3.mlp.c_proj.weight", 0, 0.005},
		{"transformer.h.3.mlp.c_fc.bias", 0, 0},
		{"transformer.h.3.ln_1.weight", 1, 0},
		{"transformer.ln_f.bias", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := store.Get(tc.name)
			if !ok {
				t.Fatal("not in the store")
			}
			x, err := tensor.Float64s(v.T)
			if err != nil {
				t.Fatal(err)
			}
			mean, sd := meanStd(x)
			if math.Abs(mean-tc.mean) > 0.1*tc.std+1e-9 || math.Abs(sd-tc.std) > 0.05*tc.std+1e-9 {
				t.Fatalf("mean %.4g std %.4g, want %g and %g", mean, sd, tc.mean, tc.std)
			}
		})
	}
}

func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)))
}

func TestDropoutOnlyWhenTraining(t *testing.T) {
	c := tinyConfig()
	c.EmbdPdrop, c.AttnPdrop, c.ResidPdrop = 0.1, 0.1, 0.1
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := New(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	ids := rows(t, [][]int64{{5, 6, 7, 8, 9}})
	run := func(train bool) []float32 { return logits(t, m, Input{IDs: ids}, train) }
	if !slices.Equal(run(false), run(false)) {
		t.Fatal("eval forwards differ")
	}
	if slices.Equal(run(true), run(true)) {
		t.Fatal("train forwards are identical: dropout is off")
	}
}
