package bert

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
)

// TestVariantsMatchHF loads, through models.Load as a user would, the
// BERT checkpoints of scripts/fixtures/make_variants.py — BertConfig
// options off their defaults, and a BertModel saved without the "bert."
// prefix — and compares every output with HF's.
func TestVariantsMatchHF(t *testing.T) {
	for _, name := range []string{"bert-variant", "bert-bare"} {
		dir := filepath.Join(fixtures, name)
		m, err := models.Load(dir, models.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := modeltest.Expected(t, dir)
		for _, c := range modeltest.Cases(t, dir) {
			t.Run(name+"/"+c.Name, func(t *testing.T) {
				in, mask := input(t, c)
				var out *Output
				var err error
				switch m := m.(type) {
				case *MLM:
					out, err = m.MaskedLM.Forward(in, false)
				case *Loaded:
					out, err = m.Head.(*Model).Forward(in, false)
				default:
					t.Fatalf("loaded %T", m)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				if want[c.Name+".logits"] != nil {
					modeltest.Close(t, "logits", out.Logits, want[c.Name+".logits"], mask)
				}
				if want[c.Name+".pooler_output"] != nil {
					modeltest.Close(t, "pooler_output", out.Pooled, want[c.Name+".pooler_output"], nil)
				}
				checkHidden(t, c, want, out, mask)
			})
		}
		m.Close()
	}
}

// TestMissingTensorsRefused: a checkpoint lacking a tensor its config
// implies is refused, naming it, where HF would leave it random: an untied
// MLM decoder weight (never read from the word embeddings instead), or the
// pooler of a BertModel saved without one (add_pooling_layer=False).
func TestMissingTensorsRefused(t *testing.T) {
	tests := []struct{ dir, missing string }{
		{"bert-variant", "cls.predictions.decoder.weight"},
		{"bert-bare", "pooler.dense.weight"},
	}
	for _, tt := range tests {
		dir := modeltest.Without(t, filepath.Join(fixtures, tt.dir), tt.missing)
		m, err := models.Load(dir, models.Options{})
		if err == nil {
			m.Close()
			t.Errorf("%s without %s loaded", tt.dir, tt.missing)
			continue
		}
		if !strings.Contains(err.Error(), "missing (") || !strings.Contains(err.Error(), tt.missing) {
			t.Errorf("%s without %s: error %q, want it reported missing", tt.dir, tt.missing, err)
		}
	}
}
