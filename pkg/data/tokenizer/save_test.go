package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveFiles(t *testing.T) {
	src := t.TempDir()
	vocab := "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n我\n你\n"
	if err := os.WriteFile(filepath.Join(src, "vocab.txt"), []byte(vocab), 0o644); err != nil {
		t.Fatal(err)
	}
	// a directory source
	out := t.TempDir()
	got, err := SaveFiles(src, out)
	if err != nil || strings.Join(got, ",") != "vocab.txt" {
		t.Fatalf("SaveFiles(dir) = %v, %v", got, err)
	}
	tok, err := Load(out)
	if err != nil {
		t.Fatalf("the copy does not load: %v", err)
	}
	if id, ok := tok.TokenToID("你"); !ok || id != 6 {
		t.Fatalf("copied vocabulary: 你 = %d, %v", id, ok)
	}
	// existing files are left alone
	if got, err := SaveFiles(src, out); err != nil || len(got) != 0 {
		t.Fatalf("second SaveFiles = %v, %v; want nothing written", got, err)
	}
	// a lone file named otherwise becomes vocab.txt
	lone := filepath.Join(t.TempDir(), "bert-base-chinese-vocab.txt")
	if err := os.WriteFile(lone, []byte(vocab), 0o644); err != nil {
		t.Fatal(err)
	}
	out2 := t.TempDir()
	if got, err := SaveFiles(lone, out2); err != nil || strings.Join(got, ",") != "vocab.txt" {
		t.Fatalf("SaveFiles(file) = %v, %v", got, err)
	}
	// errors
	if _, err := SaveFiles(filepath.Join(src, "nowhere"), out); err == nil {
		t.Fatal("missing source must fail")
	}
	if _, err := SaveFiles(t.TempDir(), out); err == nil || !strings.Contains(err.Error(), "no tokenizer files") {
		t.Fatalf("empty dir: %v", err)
	}
}
