package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRobertaCommands drives the built command on the tiny RoBERTa
// classifier of scripts/fixtures/make_roberta.py and its byte-level BPE
// tokenizer: `gotrl classifier` fine-tunes it and saves a checkpoint
// transformers reads as RobertaForSequenceClassification, and `gotrl
// pretrain` trains a fresh RobertaForMaskedLM from its config with the
// tokenizer's <mask>, `gotrl rm` puts TRL's value head on it (saved as
// RobertaModel + v_head.*) and `gotrl rm score` reads that back.
func TestRobertaCommands(t *testing.T) {
	fixture := filepath.Join("..", "..", "testdata", "models", "roberta-seqcls")
	dir := t.TempDir()
	train := filepath.Join(dir, "train.jsonl")
	write(t, train, `{"text": "a tat", "label": 0}
{"text": "the cat sat", "label": 1}
{"text": "to be or not", "label": 2}
{"text": "hello there", "label": 1}
`)
	write(t, filepath.Join(dir, "pref.jsonl"), `{"prompt": "a t", "chosen": "the cat", "rejected": "no"}
{"prompt": "to be", "chosen": "or not", "rejected": "x"}
`)
	common := []string{"--max-steps", "2", "--batch-size", "2", "--threads", "1", "--eval-fraction", "0"}
	tests := []struct {
		stage, class string
		args         []string
	}{
		{"classifier", "RobertaForSequenceClassification", []string{"--model-name-or-path", fixture, "--train-file", train}},
		{"pretrain", "RobertaForMaskedLM", []string{"--config-name", fixture, "--tokenizer", fixture, "--train-file", train}},
		{"rm", "RobertaModel", []string{"--model-name-or-path", filepath.Join(dir, "pretrain"), "--train-file", filepath.Join(dir, "pref.jsonl")}},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			out := filepath.Join(dir, tt.stage)
			args := append(append([]string{tt.stage, "-o", out}, tt.args...), common...)
			r := runBin(t, args...)
			r.check(t, 0, "")
			if !strings.Contains(r.stdout+r.stderr, "done: 2 steps") {
				t.Fatalf("no \"done: 2 steps\" in the output:\n%s%s", r.stdout, r.stderr)
			}
			b, err := os.ReadFile(filepath.Join(out, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				ModelType     string   `json:"model_type"`
				Architectures []string `json:"architectures"`
			}
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			if c.ModelType != "roberta" || strings.Join(c.Architectures, ",") != tt.class {
				t.Errorf("saved model_type %q, architectures %v; want roberta, [%s]", c.ModelType, c.Architectures, tt.class)
			}
		})
	}
	r := runBin(t, "rm", "score", "--model", filepath.Join(dir, "rm"), "--prompt", "to be", "or not", "x", "--threads", "1")
	r.check(t, 0, "")
	if strings.Count(r.stdout, "\n") < 2 {
		t.Errorf("rm score printed %q, want a line per response", r.stdout)
	}
}
