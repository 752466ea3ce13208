package data

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynthPapersDeterministicAndConsistent(t *testing.T) {
	a, b := SynthPapers(50, 3), SynthPapers(50, 3)
	c := SynthPapers(50, 4)
	same := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("paper %d differs between two runs with one seed", i)
		}
		if a[i] == c[i] {
			same++
		}
		// the title must be recoverable from the abstract: every part occurs in it
		for _, part := range []string{a[i].Method, a[i].Task, a[i].Domain} {
			if !strings.Contains(a[i].Abstract, part) {
				t.Errorf("paper %d: %q not in abstract %q", i, part, a[i].Abstract)
			}
		}
	}
	if same == len(a) {
		t.Fatal("seeds 3 and 4 gave identical papers")
	}
}

func TestWriteSynthetic(t *testing.T) {
	dir := t.TempDir()
	files, err := WriteSynthetic(dir, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"corpus.txt": 100, "sft.jsonl": 90, "sft_eval.jsonl": 10, "ranked.jsonl": 100, "prompts.jsonl": 100}
	if len(files) != len(want)+1 {
		t.Fatalf("files %v", files)
	}
	for name, n := range want {
		if got := countLines(t, filepath.Join(dir, name)); got != n {
			t.Errorf("%s: %d lines, want %d", name, got, n)
		}
	}
	// every character of every file is in the vocabulary
	vocab := map[string]bool{}
	f, _ := os.Open(filepath.Join(dir, "vocab.txt"))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		vocab[sc.Text()] = true
	}
	f.Close()
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		if !vocab[s] {
			t.Errorf("vocab lacks %s", s)
		}
	}
	var r Ranked
	line := firstLine(t, filepath.Join(dir, "ranked.jsonl"))
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Responses) != 4 || r.Responses[0] == r.Responses[1] {
		t.Fatalf("ranked list %+v", r)
	}
	for _, resp := range append(r.Responses, r.Prompt) {
		for _, c := range resp {
			if !vocab[string(c)] {
				t.Fatalf("character %q not in vocab.txt", c)
			}
		}
	}
	if _, err := WriteSynthetic(dir, 5, 1); err == nil {
		t.Fatal("n = 5 must be refused")
	}
}

func countLines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func firstLine(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitN(string(b), "\n", 2)[0]
}
