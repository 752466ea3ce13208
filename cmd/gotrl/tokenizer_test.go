package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

const hardCorpus = "../../pkg/data/tokenizer/testdata/train/hard.txt"

func runGotrl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestTokenizerTrainBPEParity: the command with a fixture case's flags
// learns HF's vocabulary and merges (the BPE cases need no replayed order).
func TestTokenizerTrainBPEParity(t *testing.T) {
	want := fixtureCase(t, "bpe-hard-min1-prefix-lower")
	dir := t.TempDir()
	out, err := runGotrl(t, "tokenizer", "train", "--model", "bpe", "--input", hardCorpus, "-o", dir,
		"--vocab-size", "500", "--min-frequency", "1", "--add-prefix-space", "--lowercase",
		"--special-tokens", "<s>,<pad>,</s>,<unk>,<mask>", "--threads", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "bpe: 500 tokens (5 special)") {
		t.Fatalf("output %q", out)
	}
	var vocab map[string]int
	readJSONFile(t, filepath.Join(dir, "vocab.json"), &vocab)
	for id, tok := range want.Vocab {
		if vocab[tok] != id {
			t.Fatalf("vocab.json: %q = %d, HF %d", tok, vocab[tok], id)
		}
	}
	merges, err := os.ReadFile(filepath.Join(dir, "merges.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, m := range want.Merges {
		lines = append(lines, m[0]+" "+m[1])
	}
	if got := strings.TrimSuffix(string(merges), "\n"); got != "#version: 0.2\n"+strings.Join(lines, "\n") {
		t.Fatalf("merges.txt differs from HF's %d merges", len(lines))
	}
}

// TestTokenizerTrainDefaults: with no options the command trains exactly
// what the package's defaults (BertWordPieceTokenizer's) train, and the
// directory loads as a tokenizer.
func TestTokenizerTrainDefaults(t *testing.T) {
	dir := t.TempDir()
	if _, err := runGotrl(t, "tokenizer", "train", hardCorpus, "-o", dir); err != nil {
		t.Fatal(err)
	}
	lib, err := tokenizer.TrainWordPiece(tokenizer.TextFiles([]string{hardCorpus}), tokenizer.DefaultWordPieceOptions())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != len(lib.Vocab) {
		t.Fatalf("vocab size %d, library %d", tok.VocabSize(), len(lib.Vocab))
	}
	for id, s := range lib.Vocab {
		if got, ok := tok.TokenToID(s); !ok || got != int64(id) {
			t.Fatalf("%q: id %d, library %d", s, got, id)
		}
	}
	enc, err := tok.Encode("Hello world", true)
	if err != nil {
		t.Fatal(err)
	}
	if enc.Tokens[0] != "[CLS]" || enc.Tokens[len(enc.Tokens)-1] != "[SEP]" {
		t.Fatalf("tokens %q: want [CLS] … [SEP]", enc.Tokens)
	}
}

// TestTokenizerTrainRecords reads JSONL and CSV records through --field.
func TestTokenizerTrainRecords(t *testing.T) {
	in := t.TempDir()
	jsonl := filepath.Join(in, "docs.jsonl")
	csv := filepath.Join(in, "reviews.csv")
	write(t, jsonl, `{"content":"low lower lowest","id":1}`+"\n"+`{"content":"newer wider","id":2}`+"\n")
	write(t, csv, "label,review\n1,low lower\n0,\"newest, widest\"\n")
	dir := t.TempDir()
	out, err := runGotrl(t, "tokenizer", "train", "--model", "bpe", "--min-frequency", "1", "--vocab-size", "1000",
		"--input", jsonl, "--input", csv, "--field", "content", "--field", "review", "-o", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "from 4 texts") {
		t.Fatalf("output %q: want 4 texts", out)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// min frequency 1 and room to spare: every word of both files ends up whole
	for _, w := range []string{"low", "Ġlowest", "Ġwider", "newest", ",", "Ġwidest"} {
		if _, ok := tok.TokenToID(w); !ok {
			t.Errorf("word %q was not learned", w)
		}
	}
}

func TestTokenizerTrainErrors(t *testing.T) {
	in := t.TempDir()
	jsonl := filepath.Join(in, "docs.jsonl")
	write(t, jsonl, `{"content":"a b"}`+"\n"+`{"title":"c"}`+"\n")
	out := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--model", "unigram", hardCorpus}, "no unigram trainer yet"},
		{[]string{"--model", "sentencepiece", hardCorpus}, "unknown tokenizer model"},
		{[]string{"--model", "bpe", "--limit-alphabet", "5", hardCorpus}, "--limit-alphabet is a wordpiece option"},
		{[]string{"--add-prefix-space", hardCorpus}, "bpe options"},
		{[]string{jsonl}, "needs --field NAME"},
		{[]string{"--field", "content", jsonl}, `docs.jsonl:2: field "content": missing`},
		{[]string{filepath.Join(in, "nowhere.txt")}, "nowhere.txt"},
		{[]string{}, "no input files"},
		{[]string{"--lowercase", "--no-lowercase", hardCorpus}, "give one of each pair"},
		{[]string{"--vocab-size", "-3", hardCorpus}, "vocab size -3"},
	}
	for _, tt := range tests {
		args := append([]string{"tokenizer", "train", "-o", out}, tt.args...)
		if _, err := runGotrl(t, args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
	// --skip-bad passes over the record without the field
	if _, err := runGotrl(t, "tokenizer", "train", "-o", out, "--field", "content", "--skip-bad", "--min-frequency", "1", jsonl); err != nil {
		t.Fatalf("--skip-bad: %v", err)
	}
}

// fixtureCase reads one case of the package's training fixture.
func fixtureCase(t *testing.T, name string) (c struct {
	Name   string
	Vocab  []string
	Merges [][2]string
}) {
	t.Helper()
	f, err := os.Open("../../pkg/data/tokenizer/testdata/train/expected.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &c); err == nil && c.Name == name {
			return c
		}
	}
	t.Fatalf("fixture case %s not found", name)
	return c
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
