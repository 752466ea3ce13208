package bert

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

const fixtures = "../../../testdata/models"

// input builds a fixture case's Input; compare is the [B, T] mask of the
// positions worth comparing (HF's attention_mask, or ids != pad for the
// 3-D UniLM mask).
func input(t *testing.T, c modeltest.Case) (in Input, compare [][]int64) {
	in = Input{IDs: c.Tensor(t, "input_ids"), TypeIDs: c.Tensor(t, "token_type_ids"), Mask: c.Tensor(t, "attention_mask")}
	ids := c.Rows(t, "input_ids")
	compare = modeltest.Ones(len(ids), len(ids[0]))
	if in.Mask != nil && in.Mask.Dim() == 2 {
		compare = c.Rows(t, "attention_mask")
	}
	for b, row := range ids {
		for i, id := range row {
			if id == 0 {
				compare[b][i] = 0
			}
		}
	}
	return in, compare
}

// maskFor applies the token mask to per-token outputs [B, T, ...] only.
func maskFor(x *tensor.Tensor, mask [][]int64) [][]int64 {
	if x.Dim() == 3 {
		return mask
	}
	return nil
}

// checkHidden compares last_hidden_state and hidden.<i>.
func checkHidden(t *testing.T, c modeltest.Case, want map[string]*tensor.Tensor, out *Output, mask [][]int64) {
	modeltest.Close(t, "last_hidden_state", out.Hidden, want[c.Name+".last_hidden_state"], mask)
	for i, h := range out.Hiddens {
		modeltest.Close(t, fmt.Sprintf("hidden.%d", i), h, want[fmt.Sprintf("%s.hidden.%d", c.Name, i)], mask)
	}
	modeltest.Close(t, "hidden.last", out.Hidden, want[fmt.Sprintf("%s.hidden.%d", c.Name, len(out.Hiddens))], mask)
}

// TestHeadsMatchHF compares every output of BertForPreTraining and
// BertForSequenceClassification with the fixtures: heads' logits (token
// ones on non-pad positions), pooler output and all hidden states.
func TestHeadsMatchHF(t *testing.T) {
	// forward runs a loaded head and names its logits as the fixture does.
	forward := func(t *testing.T, head any, in Input) (*Output, map[string]*tensor.Tensor) {
		switch h := head.(type) {
		case *PreTraining:
			out, err := h.Forward(in, false)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tensor.Free(out.NSPLogits) })
			return out.Output, map[string]*tensor.Tensor{"mlm_logits": out.Logits, "nsp_logits": out.NSPLogits}
		case *SequenceClassification:
			out, err := h.Forward(in, false)
			if err != nil {
				t.Fatal(err)
			}
			return out, map[string]*tensor.Tensor{"logits": out.Logits}
		}
		t.Fatalf("head %T", head)
		return nil, nil
	}
	tests := []struct{ dir, arch string }{
		{"bert", archPreTraining},
		{"bert-seqcls", archClassifier},
	}
	for _, tt := range tests {
		dir := filepath.Join(fixtures, tt.dir)
		c, err := ReadConfig(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := build(dir, c, tt.arch, models.Options{Device: gotch.CPU})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		want := modeltest.Expected(t, dir)
		for _, c := range modeltest.Cases(t, dir) {
			t.Run(tt.dir+"/"+c.Name, func(t *testing.T) {
				in, mask := input(t, c)
				out, logits := forward(t, m.Head, in)
				defer out.Close()
				for name, got := range logits {
					modeltest.Close(t, name, got, want[c.Name+"."+name], maskFor(got, mask))
				}
				modeltest.Close(t, "pooler_output", out.Pooled, want[c.Name+".pooler_output"], nil)
				checkHidden(t, c, want, out, mask)
			})
		}
	}
}

func TestMaskedLMMatchesHF(t *testing.T) {
	tests := []struct {
		name, dir string
		unilm     bool // replace the fixture's 3-D mask by Input.UniLM + padding
	}{
		{"bert-pretraining-file", "bert", false},
		{"unilm-3d-mask", "bert-unilm", false},
		{"unilm-from-type-ids", "bert-unilm", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(fixtures, tt.dir)
			m, store, err := LoadMaskedLM(dir, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			want := modeltest.Expected(t, dir)
			for _, c := range modeltest.Cases(t, dir) {
				in, mask := input(t, c)
				if tt.unilm {
					in.UniLM, in.Mask = true, padMask(t, in.IDs)
				}
				out, err := m.Forward(in, false)
				if err != nil {
					t.Fatal(err)
				}
				key := c.Name + ".logits"
				if tt.dir == "bert" {
					key = c.Name + ".mlm_logits"
				}
				modeltest.Close(t, c.Name+".logits", out.Logits, want[key], mask)
				if tt.dir == "bert-unilm" {
					checkHidden(t, c, want, out, mask)
				}
				if out.Pooled != nil {
					t.Errorf("BertForMaskedLM has no pooler")
				}
				out.Close()
			}
		})
	}
}

// padMask is ids != 0 as an int64 [B, T] mask.
func padMask(t *testing.T, ids *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	m := s.T(s.T(ids.Ne(s.Int(0), false)).Totype(gotch.Int64, false))
	t.Cleanup(func() { tensor.Free(m) })
	return s.Keep(m)
}

func TestForwardFreesEverything(t *testing.T) {
	dir := filepath.Join(fixtures, "bert")
	m, store, err := LoadPreTraining(dir, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := modeltest.Cases(t, dir)[1]
	in, _ := input(t, c)
	in.UniLM = true
	before := tensor.Live()
	for range 3 {
		out, err := m.Forward(in, true) // training mode: dropout paths too
		if err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
	if d := tensor.Live() - before; d != 0 {
		t.Errorf("%d tensors leaked by Forward+Close", d)
	}
}

func TestSharedConfigsRun(t *testing.T) {
	tests := []struct {
		file   string
		layers int64 // 0 keeps the file's
	}{
		{"bert-chinese-config.json", 0},
		{"unilm-chinese-config.json", 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("../../../../shared/configs", tt.file)
			if _, err := os.Stat(path); err != nil {
				t.Skip("../shared is missing")
			}
			c, err := ReadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.layers > 0 {
				c.NumHiddenLayers = tt.layers
			}
			store := nn.NewStore(gotch.CPU)
			defer store.Close()
			m, err := NewMaskedLM(store.Root(), c)
			if err != nil {
				t.Fatal(err)
			}
			ids, _ := tensor.FromInt64s([]int64{101, 102}, []int64{1, 2}, gotch.CPU)
			types, _ := tensor.FromInt64s([]int64{0, c.TypeVocabSize - 1}, []int64{1, 2}, gotch.CPU)
			defer tensor.Free(ids, types)
			out, err := m.Forward(Input{IDs: ids, TypeIDs: types, UniLM: true}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			if got, want := tensor.Shape(out.Logits), []int64{1, 2, c.VocabSize}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("logits shape %v, want %v", got, want)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	c := DefaultConfig()
	c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads = 50, 8, 1, 2
	c.IntermediateSize, c.MaxPositionEmbeddings, c.TypeVocabSize = 16, 4, 2
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := NewMaskedLM(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(rows ...[]int64) *tensor.Tensor {
		x, err := tensor.FromRows(rows, gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tensor.Free(x) })
		return x
	}
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"type id too large", Input{IDs: ids([]int64{1, 2}), TypeIDs: ids([]int64{0, 2})}, "token_type_ids[0][1] = 2: outside [0, type_vocab_size 2)"},
		{"token id too large", Input{IDs: ids([]int64{1, 50})}, "input_ids[0][1] = 50"},
		{"too long", Input{IDs: ids([]int64{1, 2, 3, 4, 5})}, "5 tokens exceeds max_position_embeddings 4"},
		{"unilm without types", Input{IDs: ids([]int64{1, 2}), UniLM: true}, "needs token_type_ids"},
		{"mask shape", Input{IDs: ids([]int64{1, 2}), Mask: ids([]int64{1, 1, 1})}, "attention_mask shape [1 3], want [1 2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := m.Forward(tt.in, false)
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

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"heads do not divide hidden", `{"hidden_size": 30, "num_attention_heads": 4}`, `"hidden_size": hidden_size 30 is not a multiple of num_attention_heads 4`},
		{"other family", `{"model_type": "gpt2"}`, `model_type "gpt2": want bert`},
		{"unknown activation", `{"hidden_act": "gelu_fancy"}`, `"hidden_act"`},
		{"no layers", `{"num_hidden_layers": 0}`, `"num_hidden_layers": must be positive`},
		{"relative positions", `{"position_embedding_type": "relative_key"}`, `"position_embedding_type": "relative_key" is not supported (want "absolute")`},
		{"causal decoder", `{"is_decoder": true}`, `"is_decoder": true (a causal BERT, BertLMHeadModel) is not supported`},
		{"cross-attention", `{"add_cross_attention": true}`, `"add_cross_attention": true is not supported`},
		{"pruned heads", `{"pruned_heads": {"1": [0]}}`, `"pruned_heads": map[1:[0]]`},
		// HF's BertEmbeddings adds no position embeddings for None
		{"no position embeddings", `{"position_embedding_type": null}`, `"position_embedding_type": null is not supported (want "absolute")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// a null flag is false, as in HF (BertForMaskedLM's decoder is untied)
	if c, err := ParseConfig([]byte(`{"tie_word_embeddings": null}`)); err != nil || c.Tied() {
		t.Errorf("tie_word_embeddings null: tied %v, %v", c.Tied(), err)
	}
	c, err := ParseConfig([]byte(`{"type_vocab_size": 6}`)) // UniLM: no model_type
	if err != nil || c.TypeVocabSize != 6 || c.LayerNormEps != 1e-12 {
		t.Errorf("config without model_type: %+v, %v", c, err)
	}
}
