package t5

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

const fixtures = "../../../testdata/models"

// load reads testdata/models/<name>, closing the store after the test.
func loadFixture(t *testing.T, name string) *Model {
	t.Helper()
	m, store, err := Load(filepath.Join(fixtures, name), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return m
}

// maskOr returns the case's 2-D mask input, or ones shaped like ids.
func maskOr(t *testing.T, c modeltest.Case, mask, ids string) [][]int64 {
	if m := c.Rows(t, mask); m != nil {
		return m
	}
	r := c.Rows(t, ids)
	return modeltest.Ones(len(r), len(r[0]))
}

func TestMatchesHF(t *testing.T) {
	for _, name := range []string{"t5", "mt5", "t5-variant"} {
		m := loadFixture(t, name)
		dir := filepath.Join(fixtures, name)
		want := modeltest.Expected(t, dir)
		for _, c := range modeltest.Cases(t, dir) {
			t.Run(name+"/"+c.Name, func(t *testing.T) {
				encMask, decMask := maskOr(t, c, "attention_mask", "input_ids"), maskOr(t, c, "decoder_attention_mask", "decoder_input_ids")
				out, err := m.Forward(c.Tensor(t, "input_ids"), c.Tensor(t, "attention_mask"),
					c.Tensor(t, "decoder_input_ids"), c.Tensor(t, "decoder_attention_mask"), nil, false)
				if err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				key := func(s string) *tensor.Tensor { return want[c.Name+"."+s] }
				modeltest.Close(t, "logits", out.Logits, key("logits"), decMask)
				modeltest.Close(t, "encoder.last_hidden_state", out.EncoderHidden, key("encoder.last_hidden_state"), encMask)
				modeltest.Close(t, "decoder.last_hidden_state", out.DecoderHidden, key("decoder.last_hidden_state"), decMask)
				for i, h := range out.EncoderHiddens {
					modeltest.Close(t, fmt.Sprint("encoder.hidden.", i), h, key(fmt.Sprint("encoder.hidden.", i)), encMask)
				}
				for i, h := range out.DecoderHiddens {
					modeltest.Close(t, fmt.Sprint("decoder.hidden.", i), h, key(fmt.Sprint("decoder.hidden.", i)), decMask)
				}
				n := len(out.EncoderHiddens)
				modeltest.Close(t, "encoder.hidden.last", out.EncoderHidden, key(fmt.Sprint("encoder.hidden.", n)), encMask)
				for _, st := range []struct {
					name  string
					stack *Stack
					n     int
				}{{"encoder", m.Encoder, len(encMask[0])}, {"decoder", m.Decoder, len(decMask[0])}} {
					var pb *tensor.Tensor
					if err := tensor.Catch(func() { pb = st.stack.positionBias(int64(st.n), int64(st.n), 0, gotch.CPU) }); err != nil {
						t.Fatal(err)
					}
					modeltest.Close(t, st.name+".position_bias", pb, key(st.name+".position_bias"), nil)
					tensor.Free(pb)
				}
			})
		}
	}
}

// TestIncrementalDecoding feeds the decoder one token at a time through
// the cache and compares each step's logits with the full forward's.
func TestIncrementalDecoding(t *testing.T) {
	for _, name := range []string{"t5", "mt5", "t5-variant"} {
		t.Run(name, func(t *testing.T) {
			m := loadFixture(t, name)
			c := modeltest.Cases(t, filepath.Join(fixtures, name))[0]
			ids, mask, dec := c.Tensor(t, "input_ids"), c.Tensor(t, "attention_mask"), c.Tensor(t, "decoder_input_ids")
			full, err := m.Forward(ids, mask, dec, nil, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			defer full.Close()
			before := tensor.Live()
			cache := m.NewCache()
			for i := range tensor.Shape(dec)[1] {
				step, err := narrow(dec, 1, i, 1)
				if err != nil {
					t.Fatal(err)
				}
				out, err := m.Decode(step, nil, full.EncoderHidden, mask, cache, false)
				tensor.Free(step)
				if err != nil {
					t.Fatal(err)
				}
				want, err := narrow(full.Logits, 1, i, 1)
				if err != nil {
					t.Fatal(err)
				}
				d, err := modeltest.MaxDiff(out.Logits, want, nil)
				if err != nil || d > 1e-5 {
					t.Errorf("step %d: logits differ from the full forward by %.3g (%v)", i, d, err)
				}
				tensor.Free(want)
				out.Close()
			}
			if cache.Len() != tensor.Shape(dec)[1] {
				t.Errorf("cache length %d, want %d", cache.Len(), tensor.Shape(dec)[1])
			}
			cache.Close()
			if d := tensor.Live() - before; d != 0 {
				t.Errorf("%d tensors leaked by cached decoding", d)
			}
		})
	}
}

func narrow(x *tensor.Tensor, dim, start, n int64) (*tensor.Tensor, error) {
	y, err := x.Narrow(dim, start, n, false)
	if err != nil {
		return nil, err
	}
	defer tensor.Free(y)
	return y.Contiguous(false)
}

func TestForwardFreesEverything(t *testing.T) {
	m := loadFixture(t, "mt5")
	c := modeltest.Cases(t, filepath.Join(fixtures, "mt5"))[1]
	args := []*tensor.Tensor{c.Tensor(t, "input_ids"), c.Tensor(t, "attention_mask"), c.Tensor(t, "decoder_input_ids"), c.Tensor(t, "decoder_attention_mask")}
	before := tensor.Live()
	for range 3 {
		out, err := m.Forward(args[0], args[1], args[2], args[3], nil, true)
		if err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
	if d := tensor.Live() - before; d != 0 {
		t.Errorf("%d tensors leaked by Forward+Close", d)
	}
}

// TestRelativeBucket checks buckets against transformers 4.46's
// T5Attention._relative_position_bucket (values printed by Python).
func TestRelativeBucket(t *testing.T) {
	tests := []struct {
		bidirectional     bool
		buckets, distance int64
		want              map[int64]int64 // key - query → bucket
	}{
		{true, 32, 128, map[int64]int64{-300: 15, -128: 15, -100: 15, -64: 14, -45: 12, -33: 12, -20: 10, -16: 10, -12: 9, -9: 8, -8: 8, -7: 7, 0: 0, 1: 17, 7: 23, 8: 24, 12: 25, 16: 26, 33: 28, 100: 31, 300: 31}},
		{true, 32, 20, map[int64]int64{-19: 15, -16: 14, -12: 11, -9: 9, -8: 8, 9: 25, 12: 27, 16: 30, 19: 31}},
		{false, 32, 128, map[int64]int64{-300: 31, -100: 30, -64: 26, -45: 23, -33: 21, -20: 17, -16: 16, -12: 12, 0: 0, 5: 0}},
		{false, 32, 20, map[int64]int64{-20: 31, -19: 28, -16: 16, -12: 12, 7: 0}},
		{false, 16, 50, map[int64]int64{-45: 15, -33: 14, -20: 12, -19: 11, -16: 11, -12: 9, -9: 8}},
	}
	for _, tt := range tests {
		for rel, want := range tt.want {
			if got := relativeBucket(rel, tt.bidirectional, tt.buckets, tt.distance); got != want {
				t.Errorf("bucket(%d, bidirectional=%v, %d, %d) = %d, want %d", rel, tt.bidirectional, tt.buckets, tt.distance, got, want)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"wrong family", `{"model_type": "bert"}`, `"model_type": "bert", want t5 or mt5`},
		{"bad projection", `{"model_type": "t5", "feed_forward_proj": "gated-gelu-x"}`, `"feed_forward_proj"`},
		{"unknown activation", `{"model_type": "t5", "feed_forward_proj": "gelu_fancy"}`, `"feed_forward_proj"`},
		{"unknown dense_act_fn", `{"model_type": "t5", "dense_act_fn": "gelu_fancy"}`, `"dense_act_fn"`},
		{"no heads", `{"model_type": "t5", "num_heads": 0}`, `"num_heads": must be positive`},
		{"tied encoder and decoder", `{"model_type": "t5", "tie_encoder_decoder": true}`, `"tie_encoder_decoder": true is not supported`},
		{"pruned heads", `{"model_type": "mt5", "pruned_heads": {"0": [3]}}`, `"pruned_heads": map[0:[3]]`},
		{"short distance", `{"model_type": "t5", "relative_attention_max_distance": 8}`, `"relative_attention_max_distance"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// a null flag is false, as in HF (an untied lm_head, no rescale)
	if c, err := ParseConfig([]byte(`{"model_type": "t5", "tie_word_embeddings": null}`)); err != nil || c.Tied() {
		t.Errorf("tie_word_embeddings null: tied %v, %v", c.Tied(), err)
	}
	c, err := ParseConfig([]byte(`{"model_type": "mt5"}`))
	act, gated, _ := c.Activation()
	if err != nil || c.Tied() || !gated || act != "gelu_new" || c.DecoderLayers() != 8 {
		t.Errorf("mt5 defaults: %+v (act %s gated %v), %v", c, act, gated, err)
	}
}

// TestActivation: the feed-forward's activation and gating as T5Config /
// MT5Config of transformers 4.46.3 resolve them (dense_act_fn and
// is_gated_act printed by from_dict for each JSON): the file's
// dense_act_fn and is_gated_act win over feed_forward_proj.
func TestActivation(t *testing.T) {
	tests := []struct {
		json  string
		act   string
		gated bool
	}{
		{`{"model_type": "t5"}`, "relu", false},
		{`{"model_type": "t5", "feed_forward_proj": "gelu"}`, "gelu", false},
		{`{"model_type": "t5", "feed_forward_proj": "gated-gelu"}`, "gelu_new", true},
		{`{"model_type": "t5", "feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu"}`, "gelu", true},
		{`{"model_type": "t5", "feed_forward_proj": "relu", "is_gated_act": true}`, "relu", true},
		{`{"model_type": "t5", "feed_forward_proj": "gated-silu", "dense_act_fn": "relu", "is_gated_act": false}`, "relu", false},
		{`{"model_type": "t5", "dense_act_fn": "silu"}`, "silu", false},
		{`{"model_type": "mt5"}`, "gelu_new", true},
		{`{"model_type": "mt5", "feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu_new", "is_gated_act": true}`, "gelu_new", true},
		{`{"model_type": "t5", "feed_forward_proj": "gated-gelu", "is_gated_act": null}`, "gelu_new", false},
	}
	for _, tt := range tests {
		c, err := ParseConfig([]byte(tt.json))
		if err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		act, gated, err := c.Activation()
		if err != nil || act != tt.act || gated != tt.gated {
			t.Errorf("%s: activation %q gated %v (%v), want %q gated %v", tt.json, act, gated, err, tt.act, tt.gated)
		}
	}
}

func TestBadInput(t *testing.T) {
	c := DefaultConfig()
	c.VocabSize, c.DModel, c.DKV, c.DFF, c.NumLayers, c.NumHeads = 20, 8, 4, 8, 1, 2
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := New(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := tensor.FromInt64s([]int64{3, 1}, []int64{1, 2}, gotch.CPU)
	bad, _ := tensor.FromInt64s([]int64{3, 20}, []int64{1, 2}, gotch.CPU)
	empty, _ := ts.Zeros([]int64{1, 0}, gotch.Int64, gotch.CPU)
	defer tensor.Free(good, bad, empty)
	tests := []struct {
		name     string
		enc, dec *tensor.Tensor
		want     string
	}{
		{"encoder id", bad, good, "input_ids[0][1] = 20: outside [0, vocab_size 20)"},
		{"decoder id", good, bad, "decoder_input_ids[0][1] = 20"},
		{"empty decoder", good, empty, "decoder_input_ids must be [batch, seq] with seq ≥ 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := m.Forward(tt.enc, nil, tt.dec, nil, nil, false)
			if err == nil {
				out.Close()
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
