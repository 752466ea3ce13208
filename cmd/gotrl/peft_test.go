package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/train"
)

// TestSFTWithPEFT: `sft --use-peft --use-rslora` optimises the LoRA
// tensors only, saves PEFT's adapter files (use_rslora recorded), resumes
// from its checkpoint, and merge-adapter
// gives a plain model computing base + adapter. With GOTRL_SAVE_DIR the
// adapter and gotrl's logits stay there for scripts/fixtures/make_peft.py
// --check (the real peft loading gotrl's adapter).
func TestSFTWithPEFT(t *testing.T) {
	args := ppoFixture(t) // the tiny GPT-2 with a vocabulary
	policy := args[2]
	data := filepath.Join(t.TempDir(), "sft.jsonl")
	var lines []string
	for i := range 16 {
		lines = append(lines, `{"prompt": "中国的人", "completion": "好`+strings.Repeat("的", i%3)+`"}`)
	}
	if err := os.WriteFile(data, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(t.TempDir(), "sft-lora")
	if keep := os.Getenv("GOTRL_SAVE_DIR"); keep != "" {
		run = filepath.Join(keep, "sft-lora")
		os.RemoveAll(run)
	}
	base := []string{"sft", "--model-name-or-path", policy, "--train-file", data, "--output-dir", run, "--use-peft",
		"--lora-r", "4", "--lora-alpha", "8", "--use-rslora", "--learning-rate", "1e-2", "--save-steps", "2", "--eval-fraction", "0.25",
		"--eval-samples", "0", "--max-length", "16", "--threads", "1"}
	if _, stderr, err := runGotrl(append(base, "--max-steps", "4")...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, f := range []string{"adapter_config.json", "adapter_model.safetensors"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("the run lacks %s", f)
		}
	}
	if cfg, err := os.ReadFile(filepath.Join(run, "adapter_config.json")); err != nil || !strings.Contains(string(cfg), `"use_rslora": true`) {
		t.Errorf("adapter_config.json lacks use_rslora: %s (%v)", cfg, err)
	}
	if _, err := os.Stat(filepath.Join(run, weights.SafetensorsFile)); err == nil {
		t.Errorf("a PEFT run saved the whole model")
	}
	ckpt, err := train.LatestCheckpoint(run)
	if err != nil {
		t.Fatal(err)
	}
	moments, err := weights.ReadTensors(filepath.Join(ckpt, train.OptimizerFile), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range moments {
		if !strings.Contains(name, ".lora_A.") && !strings.Contains(name, ".lora_B.") {
			t.Errorf("optimizer state for %s: a base tensor was trained", name)
		}
		tensor.Free(m)
	}
	if len(moments) == 0 {
		t.Fatal("no optimizer state")
	}
	if _, stderr, err := runGotrl("sft", "--resume", run, "--max-steps", "6", "--threads", "1"); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	if _, _, err := runGotrl("merge-adapter", "--adapter", run, "--output-dir", merged); err != nil {
		t.Fatal(err)
	}
	logits := func(dir string) []float32 {
		m, err := models.Load(dir, models.Options{Device: gotch.CPU, Task: models.TaskLM})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		ids, _ := tensor.FromRows([][]int64{{2, 5, 6, 7, 3, 8}}, gotch.CPU)
		defer tensor.Free(ids)
		out, err := m.(models.LM).Forward(models.Input{IDs: ids}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		v, err := tensor.Float32s(out.Logits)
		if err != nil {
			t.Fatal(err)
		}
		if dir == run && os.Getenv("GOTRL_SAVE_DIR") != "" {
			mask, _ := tensor.FromRows([][]int64{{1, 1, 1, 1, 1, 1}}, gotch.CPU)
			if err := weights.SaveTensors(filepath.Join(run, "gotrl_logits.safetensors"),
				map[string]*tensor.Tensor{"input_ids": ids, "attention_mask": mask, "logits": out.Logits}); err != nil {
				t.Fatal(err)
			}
		}
		return v
	}
	a, b, c := logits(run), logits(merged), logits(policy)
	var dMerged, dBase float64
	for i := range a {
		dMerged = max(dMerged, float64(abs32(a[i]-b[i])))
		dBase = max(dBase, float64(abs32(a[i]-c[i])))
	}
	if dMerged > 1e-5 {
		t.Errorf("merge-adapter's model differs from base + adapter by %g", dMerged)
	}
	if dBase < 1e-4 {
		t.Errorf("the adapter changed nothing (max |Δlogit| vs the base %g)", dBase)
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
