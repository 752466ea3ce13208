package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unigramTokenizers are the directories under testdata written by
// scripts/fixtures/make_unigram.py.
var unigramTokenizers = []string{"unigram_t5", "unigram_bytes", "unigram_misc", "unigram_hf"}

// unigramCase is one line of testdata/unigram_parity.jsonl.gz: the input as
// in parity.jsonl.gz and HF's result for each tokenizer.
type unigramCase struct {
	input parityCase
	want  map[string]hfResult
}

func (c *unigramCase) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &c.input); err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	c.want = map[string]hfResult{}
	for _, name := range unigramTokenizers {
		var r hfResult
		if err := json.Unmarshal(fields[name], &r); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.want[name] = r
	}
	return nil
}

// readUnigramCases reads the fixture as readParityCases reads its own
// (the tok branch's readCaseLines[unigramCase] does the same).
func readUnigramCases(t testing.TB) []unigramCase {
	t.Helper()
	var cases []unigramCase
	sc := bufio.NewScanner(readGzip(t, "testdata/unigram_parity.jsonl.gz"))
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		var c unigramCase
		if line > 1 { // line 1: {"meta": versions}
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("unigram_parity.jsonl.gz:%d: %v", line, err)
			}
			cases = append(cases, c)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// unigramDir unpacks testdata/<name> (tokenizer.json.gz and any plain
// files) into a temporary model directory.
func unigramDir(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, e := range entries {
		path, out := filepath.Join(src, e.Name()), e.Name()
		var data []byte
		var err error
		if strings.HasSuffix(out, ".gz") {
			data, err = io.ReadAll(readGzip(t, path))
			out = strings.TrimSuffix(out, ".gz")
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, out), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadUnigram(t testing.TB, name string) *Pipeline {
	t.Helper()
	tok, err := Load(unigramDir(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestUnigramParity reproduces HF's ids, type ids, offsets and both decodes
// for every case and each Unigram tokenizer: 2,000 shared texts (skipped
// without ../shared) and the hand-written cases.
func TestUnigramParity(t *testing.T) {
	cases := readUnigramCases(t)
	for _, name := range unigramTokenizers {
		t.Run(name, func(t *testing.T) { checkUnigramCases(t, loadUnigram(t, name), cases, name) })
	}
}

// checkUnigramCases compares tok with HF's results for the tokenizer name.
func checkUnigramCases(t *testing.T, tok *Pipeline, cases []unigramCase, name string) {
	var texts map[textKey][]string
	if _, err := findShared(); err == nil {
		texts = sharedTexts(t)
	}
	var ok, total, failures int
	for i, c := range cases {
		text, pair, label := caseInput(t, c.input, texts)
		if label == "" {
			continue
		}
		total++
		msg := compareCase(tok, text, pair, c.want[name])
		if msg == "" {
			ok++
			continue
		}
		if failures++; failures <= 25 {
			t.Errorf("case %d %s: %s", i, label, msg)
		}
	}
	t.Logf("%s: %d/%d cases match HF", name, ok, total)
}
