package gpt2

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
)

// TestVariantsMatchHF loads, through models.Load as a user would, the
// checkpoints of scripts/fixtures/make_variants.py — every GPT2Config
// option off its default, an old file layout, float16 and bfloat16
// weights — and compares logits and hidden states with HF's.
func TestVariantsMatchHF(t *testing.T) {
	for _, name := range []string{"gpt2-variant", "gpt2-legacy", "gpt2-fp16", "gpt2-bf16"} {
		dir := filepath.Join(fixtures, name)
		m, err := models.Load(dir, models.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lm := m.(*CausalLM)
		want := modeltest.Expected(t, dir)
		for _, c := range modeltest.Cases(t, dir) {
			t.Run(name+"/"+c.Name, func(t *testing.T) {
				out, err := lm.Model.Forward(Input{IDs: c.Tensor(t, "input_ids"), Mask: c.Tensor(t, "attention_mask"), AllHidden: true}, false)
				if err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				mask := c.Rows(t, "attention_mask")
				got := map[string]*tensor.Tensor{"logits": out.Logits}
				for i, h := range out.Hiddens {
					got[fmt.Sprintf("hidden.%d", i)] = h
				}
				for _, o := range c.Outputs {
					modeltest.Close(t, o, got[o], want[c.Name+"."+o], mask)
				}
			})
		}
		m.Close()
	}
}

// TestUntiedHeadIsNotWTE: with tie_word_embeddings false, lm_head.weight
// is a tensor of its own, so a file without it is missing that tensor (HF
// leaves it random) instead of having wte read into it.
func TestUntiedHeadIsNotWTE(t *testing.T) {
	dir := modeltest.Without(t, filepath.Join(fixtures, "gpt2-variant"), "lm_head.weight")
	m, err := models.Load(dir, models.Options{})
	if err == nil {
		m.Close()
		t.Fatal("an untied checkpoint without lm_head.weight loaded")
	}
	if !strings.Contains(err.Error(), "missing (lm_head.weight") {
		t.Fatalf("error %q, want lm_head.weight reported missing", err)
	}
}
