package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenizerForWarns checks that a loader warning (a token repeated in
// vocab.txt) reaches stderr, naming both lines.
func TestTokenizerForWarns(t *testing.T) {
	vocab := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(vocab, []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n好\n好\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	_, err = tokenizerFor("", vocab)
	os.Stderr = stderr
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	want := "gotrl: warning: --tokenizer: " + vocab + `:7: token "好" repeats line 6`
	if !strings.Contains(string(out), want) {
		t.Errorf("stderr %q, want %q", out, want)
	}
}
