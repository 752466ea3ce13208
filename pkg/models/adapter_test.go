package models_test

import (
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/lora"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// TestPEFTAdapter loads an adapter the real peft made and saved
// (scripts/fixtures/make_peft.py) onto its base, merged as Load does and
// unmerged as training keeps it: logits equal peft's within 1e-5.
func TestPEFTAdapter(t *testing.T) {
	dir, base := "../../testdata/peft/gpt2-lora", "../../testdata/models/gpt2"
	want, err := weights.ReadTensors(filepath.Join(dir, "expected.safetensors"), gotch.CPU)
	if err != nil {
		t.Skipf("fixture: %v", err)
	}
	defer func() {
		for _, x := range want {
			tensor.Free(x)
		}
	}()
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
