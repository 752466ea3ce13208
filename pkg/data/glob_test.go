package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestExpandLikeDatasets expands every pattern of expected.json in the
// same file tree as datasets' resolve_pattern did. The tree is built here:
// git would not keep its __pycache__ directory.
func TestExpandLikeDatasets(t *testing.T) {
	exp := loadHFExpected(t)
	root := t.TempDir()
	for _, f := range exp.Glob.Tree {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"text":"`+f+`"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(exp.Glob.Patterns) == 0 {
		t.Fatal("expected.json lists no patterns")
	}
	for pat, raw := range exp.Glob.Patterns {
		t.Run(pat, func(t *testing.T) {
			var want []string
			fails := string(raw) == "null" || strings.HasPrefix(string(raw), "{")
			if !fails {
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
			}
			arg := filepath.Join(root, filepath.FromSlash(pat))
			files, err := Expand([]string{arg})
			if fails {
				if err == nil || !strings.Contains(err.Error(), arg) {
					t.Errorf("got %q, %v; want an error naming %s", files, err, arg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(files))
			for i, f := range files {
				rel, err := filepath.Rel(root, f)
				if err != nil {
					t.Fatal(err)
				}
				got[i] = filepath.ToSlash(rel)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("train-00001.jsonl", `{"text":"b"}`+"\n")
	b := write("train-00000.jsonl", `{"text":"a"}`+"\n")
	literal := write("x[1].jsonl", `{"text":"literal"}`+"\n")
	write("x1.jsonl", `{"text":"glob"}`+"\n")

	// A literal path that exists wins over its reading as a pattern.
	if got, err := Expand([]string{literal}); err != nil || !reflect.DeepEqual(got, []string{literal}) {
		t.Errorf("Expand(%s) = %q, %v", literal, got, err)
	}
	// Arguments keep their order; a pattern's matches are sorted.
	got, err := Expand([]string{literal, filepath.Join(dir, "train-*.jsonl")})
	if want := []string{literal, b, a}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	// A missing plain path is left for the reader to report.
	missing := filepath.Join(dir, "none.jsonl")
	if got, err := Expand([]string{missing}); err != nil || !reflect.DeepEqual(got, []string{missing}) {
		t.Errorf("Expand(%s) = %q, %v", missing, got, err)
	}
	// Read and ReadTexts take patterns.
	texts, err := ReadTexts(filepath.Join(dir, "train-*.jsonl"), "text", Options{})
	if want := []string{"a", "b"}; err != nil || !reflect.DeepEqual(texts, want) {
		t.Errorf("ReadTexts = %q, %v; want %q", texts, err, want)
	}
	pat := filepath.Join(dir, "dev-*.jsonl")
	if _, err := Read(pat, Options{}, func(Record) error { return nil }); err == nil || !strings.Contains(err.Error(), pat) {
		t.Errorf("Read(%s): %v, want an error naming the pattern", pat, err)
	}
}
