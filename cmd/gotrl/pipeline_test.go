package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pipelineFixture writes a pipeline of sft → rm → ppo over the tiny GPT-2
// fixture and returns its file and output root.
func pipelineFixture(t *testing.T, rmSteps int) (file, root string) {
	t.Helper()
	args := ppoFixture(t) // a policy directory with its vocabulary, prompts
	policy, prompts := args[2], args[slices.Index(args, "--train-file")+1]
	dir := t.TempDir()
	root = filepath.Join(dir, "runs")
	write := func(name string, recs []map[string]any) string {
		var lines []string
		for _, r := range recs {
			b, _ := json.Marshal(r)
			lines = append(lines, string(b))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	chars := strings.Split("的一是在不了有和人这中大为上个国我以要他好很差", "")
	var sft, ranked []map[string]any
	for i := range 16 {
		a, b := chars[i%len(chars)], chars[(i+3)%len(chars)]
		sft = append(sft, map[string]any{"prompt": a + b + "的", "response": b + a})
		ranked = append(ranked, map[string]any{"prompt": a + b, "responses": []string{b + a + "好", a + "差", ""}})
	}
	file = filepath.Join(dir, "pipeline.yaml")
	yaml := fmt.Sprintf(`output_dir: %s
sft:
  model_name_or_path: %s
  train_file: %s
  max_steps: 4
  per_device_train_batch_size: 4
  max_length: 24
  eval_samples: 0
  learning_rate: 1.0e-3
rm:
  schema: ranked
  train_file: %s
  max_steps: %d
  save_steps: 1
  per_device_train_batch_size: 4
  max_length: 24
ppo:
  train_file: %s
  max_steps: 2
  batch_size: 4
  mini_batch_size: 2
  output_min_length: 2
  output_max_length: 3
  sample_steps: 0
`, root, policy, write("sft.jsonl", sft), write("ranked.jsonl", ranked), rmSteps, prompts)
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, root
}

// TestPipelineResumesAfterKill kills `gotrl pipeline` with SIGKILL in the
// middle of its RM stage; the same command then skips SFT, resumes RM from
// its newest checkpoint and runs PPO, and a third run skips everything.
func TestPipelineResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a pipeline twice")
	}
	file, root := pipelineFixture(t, 40)
	cmd := startGotrl(t, "pipeline", "--config", file, "--threads", "1")
	waitFor(t, filepath.Join(root, "rm"), 3, 120*time.Second)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the pipeline finished before it was killed; the test proves nothing")
	}
	if _, err := os.Stat(filepath.Join(root, "rm", "model.safetensors")); err == nil {
		t.Fatal("rm had finished when it was killed")
	}
	out, stderr, err := runGotrl("pipeline", "--config", file, "--threads", "1")
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr)
	}
	for stage, want := range map[string][]string{"sft": {"skipped", "(finished)"}, "rm": {"resumed", "40"}, "ppo": {"ran", "2"}} {
		if got := summaryRow(out, stage); len(got) < 3 || !slices.Equal(got[1:3], want) {
			t.Errorf("summary row of %s is %q, want %q:\n%s", stage, got, want, out)
		}
	}
	if !strings.Contains(stderr, "resuming from") {
		t.Errorf("rm did not resume from a checkpoint:\n%s", stderr)
	}
	out, _, err = runGotrl("pipeline", "--config", file, "--threads", "1")
	if err != nil || strings.Count(out, "skipped (finished)") != 3 {
		t.Errorf("third run: %v\n%s", err, out)
	}
}

// TestPipelineRefusesChangedStage: a finished stage whose settings the
// file no longer matches is named, not silently skipped or rerun.
func TestPipelineRefusesChangedStage(t *testing.T) {
	file, _ := pipelineFixture(t, 2)
	if _, stderr, err := runGotrl("pipeline", "--config", file, "--threads", "1"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	b, _ := os.ReadFile(file)
	changed := strings.Replace(string(b), "learning_rate: 1.0e-3", "learning_rate: 2.0e-3", 1)
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runGotrl("pipeline", "--config", file, "--threads", "1")
	if err == nil || !strings.Contains(err.Error(), "sft") || !strings.Contains(err.Error(), "learning_rate: 0.001 → 0.002") {
		t.Errorf("changed sft settings: %v", err)
	}
}

func TestPipelineBadFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ yaml, want string }{
		{"output_dir: x\nsfft:\n  max_steps: 1\n", `p.yaml:2: unknown section "sfft"`},
		{"sft:\n  max_stepz: 1\n", "line 2: field max_stepz not found"},
		{"output_dir: x\n", "no stage"},
		// errors name the file's own lines, past comments, blank lines and
		// flow style (they named the lines of the section re-encoded)
		{"output_dir: x\n\nsfft: {max_steps: 1}\n", `p.yaml:3: unknown section "sfft"`},
		{"output_dir: x\n# the SFT stage\nsft:\n  train_file: a.jsonl\n\n  max_stepz: 1\n", "line 6: field max_stepz not found"},
		{"sft:\n  train_file: a.jsonl\n  learning_rate: abc\n", "line 3: cannot unmarshal !!str `abc`"},
		{"pretrain:\n  max_steps: 1\n  max_steps: 2\n", `line 3: mapping key "max_steps" already defined at line 2`},
		{"rm:\n  max_steps: -1\n", "rm: max_steps: -1, want ≥ 0"},
		// a TRL key gotrl names otherwise, or lacks, says what to do
		{"output_dir: x\nppo:\n  early_stopping: true\n", "p.yaml: ppo: line 3: early_stopping: not a key; the key is kl_early_stopping"},
		{"sft:\n  max_seq_length: 512\n", "sft: line 2: max_seq_length: not a key; the key is max_length"},
		{"sft:\n  train_file: a.jsonl\n  packing: true\n", "sft: line 3: packing: not supported: every example is its own sequence"},
		{"rm:\n  optim: adafactor\n", "rm: line 2: optim: not supported: gotrl trains with AdamW"},
	} {
		p := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := runGotrl("pipeline", "--config", p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// summaryRow returns the fields of the pipeline summary's row for stage.
func summaryRow(out, stage string) []string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == stage {
			return f
		}
	}
	return nil
}

// TestPipelineDatasetName: a stage's dataset_name resolves to its files
// in a pipeline as on the command line (a local data set directory here),
// and a second run finds the stage finished with the same settings.
func TestPipelineDatasetName(t *testing.T) {
	policy := ppoFixture(t)[2]
	dir := t.TempDir()
	ds := filepath.Join(dir, "tiny-sft")
	if err := os.MkdirAll(filepath.Join(ds, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range strings.Split("的一是在不了有和人这中大", "") {
		lines = append(lines, fmt.Sprintf(`{"prompt": "%s的", "response": "%s好"}`, c, c))
	}
	if err := os.WriteFile(filepath.Join(ds, "data", "train.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "pipeline.yaml")
	yaml := fmt.Sprintf("output_dir: %s\nsft:\n  model_name_or_path: %s\n  dataset_name: %s\n  max_steps: 2\n  per_device_train_batch_size: 4\n  max_length: 16\n  eval_samples: 0\n",
		filepath.Join(dir, "runs"), policy, ds)
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runGotrl("pipeline", "--config", file, "--threads", "1")
	if err != nil || !strings.Contains(out, "sft    ran") {
		t.Fatalf("pipeline: %v\n%s\n%s", err, out, stderr)
	}
	if out, _, err = runGotrl("pipeline", "--config", file, "--threads", "1"); err != nil || !strings.Contains(out, "skipped (finished)") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
}
