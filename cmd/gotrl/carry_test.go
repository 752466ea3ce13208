package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSFTCarriesGenerationConfig: a model trained from a directory with a
// generation_config.json is saved with it, in every checkpoint and in the
// run, as transformers' save_pretrained writes it; a run trained from that
// run carries it on; `gotrl generate` then starts from its defaults.
func TestSFTCarriesGenerationConfig(t *testing.T) {
	args := ppoFixture(t) // a policy with its vocabulary
	policy := args[2]
	text := "{\n  \"max_new_tokens\": 3,\n  \"no_repeat_ngram_size\": 1\n}\n"
	if err := os.WriteFile(filepath.Join(policy, "generation_config.json"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	data := sftPairs(t, 8)
	sft := func(from string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "run")
		if _, stderr, err := runGotrl("sft", "--model-name-or-path", from, "--train-file", data, "--output-dir", out,
			"--max-steps", "2", "--save-steps", "1", "--eval-samples", "0", "--max-length", "16", "--threads", "1"); err != nil {
			t.Fatalf("sft from %s: %v\n%s", from, err, stderr)
		}
		return out
	}
	first := sft(policy)
	second := sft(first)
	for _, dir := range []string{first, filepath.Join(first, "checkpoint-1"), second} {
		if b, err := os.ReadFile(filepath.Join(dir, "generation_config.json")); err != nil || string(b) != text {
			t.Errorf("%s: generation_config.json %q (%v), want the starting model's", dir, b, err)
		}
	}
	pred := filepath.Join(t.TempDir(), "pred.jsonl")
	if _, stderr, err := runGotrl("generate", "--model-name-or-path", second, "--prompt", "中国", "--output", pred, "--threads", "1"); err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(pred)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ IDs []int64 }
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	// the file's three new tokens (not gotrl's default of 20), none twice
	if len(rec.IDs) != 3 || rec.IDs[0] == rec.IDs[1] || rec.IDs[1] == rec.IDs[2] || rec.IDs[0] == rec.IDs[2] {
		t.Errorf("generated ids %v, want 3 distinct ones (max_new_tokens 3, no_repeat_ngram_size 1)", rec.IDs)
	}
}

// sftPairs writes n prompt/response records in the words of ppoFixture's
// vocabulary and returns the file.
func sftPairs(t *testing.T, n int) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "sft.jsonl")
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf(`{"prompt": "中国%d", "response": "的%d"}`, i, i))
	}
	if err := os.WriteFile(data, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}
