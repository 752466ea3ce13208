package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateEveryFamily drives `gotrl generate` on the committed tiny
// checkpoints of the three families; a classifier must be refused.
func TestGenerateEveryFamily(t *testing.T) {
	vocab := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(vocab, []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n基\n于\n图\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		model   string
		wantErr string
	}{
		{"gpt2", ""},
		{"t5", ""},
		{"bert-unilm", ""},
		{"bert-seqcls", "cannot generate"},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			dir := filepath.Join("../../testdata/models", c.model)
			if _, err := os.Stat(dir); err != nil {
				t.Skip("fixture missing")
			}
			var out bytes.Buffer
			cmd := newRootCmd()
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs([]string{"generate", "--model", dir, "--tokenizer", vocab, "--prompt", "基于图", "--max-new-tokens", "3", "--threads", "1"})
			err := cmd.Execute()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "基于图 ⟶") {
				t.Fatalf("output %q", out.String())
			}
		})
	}
}
