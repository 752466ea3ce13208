package models_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/lora"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// TestPEFTAdapter loads adapters the real peft made and saved
// (scripts/fixtures/make_peft.py, make_peft_variants.py) onto their base,
// merged as Load does and unmerged as training keeps it: logits equal
// peft's within 1e-5, and each adapted weight after the merge equals
// peft's merge_and_unload within 1e-5. The variants use the
// adapter_config.json options that change which modules are adapted and
// how much (use_rslora, rank_pattern and alpha_pattern, a regex or
// "all-linear" target_modules, layers_to_transform, modules_to_save, bias
// "all" and "lora_only") and the torch-pickle adapter_model.bin.
func TestPEFTAdapter(t *testing.T) {
	const base = "../../testdata/models/gpt2"
	for _, name := range []string{"gpt2-lora", "gpt2-rslora", "gpt2-pattern", "gpt2-regex", "gpt2-layers",
		"gpt2-layer0", "gpt2-all-linear", "gpt2-bin", "gpt2-modules-to-save", "gpt2-bias-all", "gpt2-bias-lora-only"} {
		t.Run(name, func(t *testing.T) {
			testPEFTAdapter(t, filepath.Join("../../testdata/peft", name), base, true)
		})
	}
}

// expectedTensors reads dir/expected.safetensors, freed when the test ends.
func expectedTensors(t *testing.T, dir string) map[string]*tensor.Tensor {
	t.Helper()
	want, err := weights.ReadTensors(filepath.Join(dir, "expected.safetensors"), gotch.CPU)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	t.Cleanup(func() {
		for _, x := range want {
			tensor.Free(x)
		}
	})
	return want
}

// testPEFTAdapter checks dir's adapter on base against its
// expected.safetensors: merged (LoadMerged), and with unmerged also
// applied by Load to a plain model.
func testPEFTAdapter(t *testing.T, dir, base string, unmerged bool) {
	want := expectedTensors(t, dir)
	in := models.Input{IDs: want["input_ids"], Mask: want["attention_mask"]}
	rows, err := tensor.Int64s(want["attention_mask"])
	if err != nil {
		t.Fatal(err)
	}
	mask := [][]int64{rows[:8], rows[8:]}
	check := func(name string, lm models.LM) {
		out, err := lm.Forward(in, false)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		d, err := modeltest.MaxDiff(out.Logits, want["logits"], mask)
		if err != nil || d > 1e-5 {
			t.Errorf("%s: logits differ from peft's by %g (%v)", name, d, err)
		}
	}
	merged, err := lora.LoadMerged(dir, base, models.Options{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer merged.Close()
	check("merged", merged.(models.LM))
	checkMerged(t, merged, want)
	if !unmerged {
		return
	}
	plain, err := models.Load(base, models.Options{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := lora.Load(dir, plain.Store()); err != nil {
		t.Fatal(err)
	}
	check("unmerged", plain.(models.LM))
}

// checkMerged compares every "merged.<name>" tensor of want, peft's
// weights after merge_and_unload, with m's <name>.
func checkMerged(t *testing.T, m models.Model, want map[string]*tensor.Tensor) {
	t.Helper()
	for key, w := range want {
		name, ok := strings.CutPrefix(key, "merged.")
		if !ok {
			continue
		}
		v, ok := m.Store().Get(name)
		if !ok {
			t.Errorf("merged model lacks %s", name)
			continue
		}
		if d, err := modeltest.MaxDiff(v.T, w, nil); err != nil || d > 1e-5 {
			t.Errorf("merged %s differs from peft's merge_and_unload by %g (%v)", name, d, err)
		}
	}
}

// TestPEFTClassifierAdapter: a SEQ_CLS adapter peft made on a BERT
// checkpoint without a classifier loads as a classifier with the saved
// head's 3 labels (peft saves classifier as a module to save without
// listing it), gives peft's logits within 1e-5 and its merged weights,
// the pooler's adapted dense included. "all-linear" is resolved as peft
// resolves it for SEQ_CLS: without the classifier.
func TestPEFTClassifierAdapter(t *testing.T) {
	const src = "../../testdata/peft/bert-seqcls-lora"
	for name, dir := range map[string]string{
		"as saved":   src,
		"all-linear": copyFixture(t, src, func(c map[string]any) { c["target_modules"] = "all-linear"; c["modules_to_save"] = nil }),
	} {
		t.Run(name, func(t *testing.T) {
			want := expectedTensors(t, dir)
			m, err := lora.LoadMerged(dir, "../../testdata/models/bert", models.Options{Device: gotch.CPU})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			c, ok := m.(models.Classifier)
			if !ok || c.NumLabels() != 3 {
				t.Fatalf("loaded a %T, want a classifier with 3 labels", m)
			}
			logits, err := c.Classify(models.Input{IDs: want["input_ids"], Mask: want["attention_mask"]}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(logits)
			if d, err := modeltest.MaxDiff(logits, want["logits"], nil); err != nil || d > 1e-5 {
				t.Errorf("logits differ from peft's by %g (%v)", d, err)
			}
			checkMerged(t, m, want)
		})
	}
}

// copyFixture copies the files of a PEFT fixture directory into a new
// temporary one, with edit applied to adapter_config.json's keys.
func copyFixture(t *testing.T, src string, edit func(map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{lora.ConfigFile, lora.WeightsFile, "expected.safetensors"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == lora.ConfigFile && edit != nil {
			var c map[string]any
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			edit(c)
			if data, err = json.Marshal(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPEFTAdapterConfigForms: adapter_config.json values peft reads but
// does not write back. target_modules null is its default for the base's
// model type (c_attn for GPT-2, which gpt2-lora was trained on; Load,
// given a store and no model type, refuses it); "all-linear" is every
// Linear and Conv1D but the output layer (gpt2-all-linear's c_attn, c_fc
// and c_proj: peft saves the names it resolved). fan_in_fan_out false on
// GPT-2's Conv1D is overridden from the layer type, as peft does. A list
// entry that matches nothing is ignored when another matches, as in peft
// (a shared recipe's q_proj on GPT-2).
func TestPEFTAdapterConfigForms(t *testing.T) {
	cases := []struct {
		name, fixture, key string
		value              any
		unmerged           bool
	}{
		{"null targets", "gpt2-lora", "target_modules", nil, false},
		{"all-linear", "gpt2-all-linear", "target_modules", "all-linear", true},
		{"ALL-LINEAR", "gpt2-all-linear", "target_modules", "ALL-LINEAR", true}, // peft lowercases it
		{"fan_in_fan_out false", "gpt2-lora", "fan_in_fan_out", false, true},
		{"unmatched entry", "gpt2-lora", "target_modules", []string{"q_proj", "c_attn"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyFixture(t, filepath.Join("../../testdata/peft", c.fixture), func(m map[string]any) { m[c.key] = c.value })
			testPEFTAdapter(t, dir, "../../testdata/models/gpt2", c.unmerged)
		})
	}
}

// TestPEFTAdapterResave: an adapter using rank_pattern, alpha_pattern,
// use_rslora, a regex target, layers_to_transform or bias "all", loaded and saved
// again by gotrl (a resumed run saves this way), still gives peft's logits.
func TestPEFTAdapterResave(t *testing.T) {
	const base = "../../testdata/models/gpt2"
	for _, name := range []string{"gpt2-pattern", "gpt2-rslora", "gpt2-regex", "gpt2-layers", "gpt2-all-linear", "gpt2-modules-to-save", "gpt2-bias-all"} {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("../../testdata/peft", name)
			m, err := models.Load(base, models.Options{Device: gotch.CPU})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			a, err := lora.Load(src, m.Store())
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := a.Save(dir); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(src, "expected.safetensors"))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, "expected.safetensors"), data, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			testPEFTAdapter(t, dir, base, true)
		})
	}
}
