package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/data"
)

// hfFixtures are pkg/data's HF datasets fixtures
// (scripts/fixtures/make_dataformats.py).
var hfFixtures = filepath.Join("..", "..", "pkg", "data", "testdata", "hf")

// TestDataHeadHFForms drives `gotrl data head` over a save_to_disk
// directory, a DatasetDict split, an Arrow IPC file, compressed JSONL and a
// glob, each against the same rows read from plain JSONL.
func TestDataHeadHFForms(t *testing.T) {
	head := func(arg string) (string, error) {
		out, _, err := runGotrl("data", "head", arg, "--width", "200")
		return out, err
	}
	plain := filepath.Join(hfFixtures, "rows.jsonl")
	want, err := head(plain)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(want, "\n"); n != 7 { // header, rule, 5 rows
		t.Fatalf("rows.jsonl gives %d lines, want 7:\n%s", n, want)
	}
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.SplitAfter(string(b), "\n")
	shards := t.TempDir()
	write(t, filepath.Join(shards, "train-00001-of-00002.jsonl"), strings.Join(rows[3:], ""))
	write(t, filepath.Join(shards, "train-00000-of-00002.jsonl"), strings.Join(rows[:3], ""))
	write(t, filepath.Join(shards, ".train-backup.jsonl"), rows[0])
	for _, arg := range []string{
		filepath.Join(hfFixtures, "disk"),
		filepath.Join(hfFixtures, "file.arrow"),
		filepath.Join(hfFixtures, "rows.jsonl.zst"),
		filepath.Join(hfFixtures, "rows.jsonl.bz2"),
		filepath.Join(hfFixtures, "rows.jsonl.xz"),
		filepath.Join(shards, "*train-*.jsonl"),
	} {
		got, err := head(arg)
		if err != nil {
			t.Errorf("%s: %v", arg, err)
		} else if got != want {
			t.Errorf("%s:\n%s\nwant\n%s", arg, got, want)
		}
	}
	// A split is a dataset directory of its own.
	got, err := head(filepath.Join(hfFixtures, "dict", "test"))
	if wantTest := strings.Join(strings.SplitAfter(want, "\n")[:2], "") + strings.Join(strings.SplitAfter(want, "\n")[5:], ""); err != nil || got != wantTest {
		t.Errorf("dict/test: %v\n%s\nwant\n%s", err, got, wantTest)
	}
	for _, tc := range []struct{ arg, want string }{
		{filepath.Join(hfFixtures, "dict"), "splits train, test"},
		{filepath.Join(hfFixtures, "timestamp.arrow"), `column "when"`},
		{filepath.Join(shards, "dev-*.jsonl"), "dev-*.jsonl: no file matches"},
	} {
		if _, err := head(tc.arg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.arg, err, tc.want)
		}
	}
}

// TestTokenizerTrainGlob: tokenizer train takes --train-file patterns and
// save_to_disk directories like the other commands.
func TestTokenizerTrainGlob(t *testing.T) {
	in := t.TempDir()
	write(t, filepath.Join(in, "part-0.txt"), "a b c\n")
	write(t, filepath.Join(in, "part-1.txt"), "d e f\n")
	if _, err := runTok(t, "tokenizer", "train", "-o", t.TempDir(), "--min-frequency", "1", "--train-file", filepath.Join(in, "part-*.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := runTok(t, "tokenizer", "train", "-o", t.TempDir(), "--min-frequency", "1", "--field", "text", "--skip-bad", filepath.Join(hfFixtures, "disk")); err != nil {
		t.Fatal(err)
	}
	pat := filepath.Join(in, "none-*.txt")
	if _, err := runTok(t, "tokenizer", "train", "-o", t.TempDir(), "--train-file", pat); err == nil || !strings.Contains(err.Error(), pat) {
		t.Errorf("err %v, want one naming %s", err, pat)
	}
}

// TestInputFormatGlob: a pattern's files are each read by their own name,
// not all as JSONL (the fallback for a name that does not say).
func TestInputFormatGlob(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.json"), `[{"text": "a"}]`)
	for _, tc := range []struct {
		path string
		want data.Format
	}{
		{filepath.Join(dir, "*.json"), data.FormatAuto},
		{filepath.Join(dir, "a.json"), data.FormatJSON},
		{filepath.Join(dir, "pred.out"), data.FormatJSONL},
	} {
		if got := inputFormat(tc.path); got != tc.want {
			t.Errorf("inputFormat(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
