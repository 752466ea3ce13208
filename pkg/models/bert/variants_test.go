package bert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/weights"
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

// TestUntiedDecoderIsNotEmbedding: with tie_word_embeddings false, the MLM
// decoder weight is a tensor of its own, so a file without it is missing
// that tensor (HF leaves it random) instead of having the word embeddings
// read into it.
func TestUntiedDecoderIsNotEmbedding(t *testing.T) {
	src := filepath.Join(fixtures, "bert-variant")
	dir := t.TempDir()
	config, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := weights.ReadTensors(filepath.Join(src, "model.safetensors"), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	const decoder = "cls.predictions.decoder.weight"
	tensor.Free(file[decoder])
	delete(file, decoder)
	err = weights.SaveTensors(filepath.Join(dir, "model.safetensors"), file)
	for _, x := range file {
		tensor.Free(x)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.Load(dir, models.Options{})
	if err == nil {
		m.Close()
		t.Fatal("an untied checkpoint without " + decoder + " loaded")
	}
	if !strings.Contains(err.Error(), "missing ("+decoder) {
		t.Fatalf("error %q, want %s reported missing", err, decoder)
	}
}
