package models_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
	_ "github.com/gotrl/gotrl/pkg/models/t5"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// TestNumLabels: a classifier's size as PretrainedConfig of transformers
// 4.46.3 counts it (num_labels printed by from_dict for each JSON):
// id2label wins over num_labels, in every family's config.
func TestNumLabels(t *testing.T) {
	families := map[string]func([]byte) (int64, error){
		"gpt2": func(b []byte) (int64, error) {
			c, err := gpt2.ParseConfig(b, models.ConfigFile)
			return c.NumLabels(), err
		},
		"bert": func(b []byte) (int64, error) { c, err := bert.ParseConfig(b); return c.Labels(), err },
		"roberta": func(b []byte) (int64, error) {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return 0, err
			}
			m["model_type"] = "roberta"
			b, _ = json.Marshal(m)
			c, err := bert.ParseConfig(b)
			return c.Labels(), err
		},
	}
	tests := []struct {
		json string
		want int64
	}{
		{`{}`, 2},
		{`{"num_labels": 3}`, 3},
		{`{"num_labels": 3, "id2label": {"0": "a", "1": "b"}}`, 2},
		{`{"id2label": {"0": "a"}}`, 1},
	}
	for family, labels := range families {
		for _, tt := range tests {
			got, err := labels([]byte(tt.json))
			if err != nil {
				t.Fatalf("%s %s: %v", family, tt.json, err)
			}
			if got != tt.want {
				t.Errorf("%s %s: %d labels, want %d", family, tt.json, got, tt.want)
			}
		}
	}
}

// TestLoadFamilies loads every fixture checkpoint through models.Load and
// the families' registered loaders, checks each store tensor against the
// file bit for bit, then saves and reloads it (the save_pretrained →
// from_pretrained loop), with no tensor leaked.
func TestLoadFamilies(t *testing.T) {
	tests := []struct{ dir, ref string }{
		{"gpt2", "gpt2"}, {"gpt2-bin", "gpt2"}, {"gpt2-sharded", "gpt2"}, {"gpt2-seqcls", "gpt2-seqcls"},
		{"bert", "bert"}, {"bert-seqcls", "bert-seqcls"}, {"bert-unilm", "bert-unilm"},
		{"t5", "t5"}, {"mt5", "mt5"},
		// make_variants.py: config options off their defaults, narrower files
		// (gpt2-legacy and bert-bare name their tensors otherwise: their
		// families' TestVariantsMatchHF)
		{"gpt2-variant", "gpt2-variant"}, {"gpt2-fp16", "gpt2-fp16"}, {"gpt2-bf16", "gpt2-bf16"},
		{"bert-variant", "bert-variant"}, {"t5-variant", "t5-variant"},
		// make_roberta.py: the BERT family's RoBERTa flavor
		{"roberta-mlm", "roberta-mlm"}, {"roberta-seqcls", "roberta-seqcls"}, {"xlm-roberta-mlm", "xlm-roberta-mlm"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("../../testdata/models", tt.dir)
			file, err := weights.ReadTensors(filepath.Join("../../testdata/models", tt.ref), gotch.CPU)
			if err != nil {
				t.Skipf("fixtures: %v", err)
			}
			defer free(file)
			before := tensor.Live()
			m, err := models.Load(dir, models.Options{Device: gotch.CPU})
			if err != nil {
				t.Fatal(err)
			}
			if n := compare(t, m.Store(), file); n == 0 {
				t.Errorf("no store tensor matched a file name")
			}
			saved := t.TempDir()
			if keep := os.Getenv("GOTRL_SAVE_DIR"); keep != "" { // for scripts/fixtures/roundtrip_check.py
				saved = filepath.Join(keep, tt.dir)
			}
			if err := m.Save(saved); err != nil {
				t.Fatal(err)
			}
			m.Close()
			back, err := models.Load(saved, models.Options{Device: gotch.CPU})
			if err != nil {
				t.Fatalf("reload what Save wrote: %v", err)
			}
			compare(t, back.Store(), file)
			back.Close()
			if after := tensor.Live(); after != before {
				t.Errorf("%d tensor(s) leaked", after-before)
			}
		})
	}
}

// TestLoadRefusesUnsupportedConfig: a config option HF honours and gotrl
// does not implement stops models.Load with an error naming the file and
// the field, before any weights are read (there are none here).
func TestLoadRefusesUnsupportedConfig(t *testing.T) {
	tests := []struct{ config, want string }{
		{`{"model_type": "gpt2", "activation_function": "gelu_fancy"}`, `field "activation_function": unknown activation "gelu_fancy"`},
		{`{"model_type": "gpt2", "add_cross_attention": true}`, `field "add_cross_attention": true is not supported`},
		{`{"model_type": "gpt2", "pruned_heads": {"0": [1]}}`, `field "pruned_heads": map[0:[1]]`},
		{`{"model_type": "bert", "position_embedding_type": "relative_key_query"}`, `field "position_embedding_type": "relative_key_query" is not supported (want "absolute")`},
		{`{"model_type": "bert", "is_decoder": true}`, `field "is_decoder": true (a causal BERT, BertLMHeadModel) is not supported`},
		{`{"model_type": "bert", "hidden_act": "gelu_fancy"}`, `field "hidden_act": unknown activation "gelu_fancy"`},
		{`{"model_type": "roberta", "position_embedding_type": "relative_key"}`, `field "position_embedding_type": "relative_key" is not supported (want "absolute")`},
		{`{"model_type": "roberta", "is_decoder": true}`, `field "is_decoder": true (a causal RoBERTa, RobertaForCausalLM) is not supported`},
		{`{"model_type": "xlm-roberta", "add_cross_attention": true}`, `field "add_cross_attention": true is not supported`},
		{`{"model_type": "roberta", "max_position_embeddings": 2}`, `field "max_position_embeddings": 2 leaves no position after pad_token_id 1`},
		{`{"model_type": "roberta", "architectures": ["RobertaForPreTraining"]}`, `field "architectures": "RobertaForPreTraining" is not supported for model_type roberta`},
		{`{"model_type": "t5", "tie_encoder_decoder": true}`, `field "tie_encoder_decoder": true is not supported`},
		{`{"model_type": "mt5", "dense_act_fn": "gelu_fancy"}`, `field "dense_act_fn": unknown activation "gelu_fancy"`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, models.ConfigFile)
		if err := os.WriteFile(path, []byte(tt.config), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := models.Load(dir, models.Options{})
		if err == nil {
			m.Close()
			t.Errorf("%s: loaded", tt.config)
			continue
		}
		if want := path + ": " + tt.want; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q, want it to contain %q", tt.config, err, want)
		}
	}
}

// compare checks every store tensor that has a same-named file tensor and
// returns how many it checked.
func compare(t *testing.T, store *nn.Store, file map[string]*tensor.Tensor) int {
	t.Helper()
	n := 0
	for _, v := range store.Vars() {
		want, ok := file[v.Name]
		if !ok {
			continue
		}
		g, err1 := tensor.Float32s(v.T)
		w, err2 := tensor.Float32s(want)
		if err1 != nil || err2 != nil || !slices.Equal(g, w) {
			t.Errorf("%s differs from the file (%v, %v)", v.Name, err1, err2)
		}
		n++
	}
	return n
}

func free(m map[string]*tensor.Tensor) {
	for _, x := range m {
		tensor.Free(x)
	}
}
