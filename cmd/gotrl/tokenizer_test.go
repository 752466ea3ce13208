package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

const hardCorpus = "../../pkg/data/tokenizer/testdata/train/hard.txt"

// runTok runs gotrl in-process and returns its stdout.
func runTok(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := runGotrl(args...)
	return out, err
}

// TestTokenizerTrain: the command trains what the package trains with the
// same settings (which TestTrainParity holds to HF's): its class defaults
// when no option is given, and the options given otherwise. The directory
// loads as a tokenizer.
func TestTokenizerTrain(t *testing.T) {
	bpe := tokenizer.DefaultBPEOptions()
	bpe.VocabSize, bpe.MinFrequency, bpe.AddPrefixSpace, bpe.Lowercase = 500, 1, true, true
	bpe.SpecialTokens = []string{"<s>", "<pad>", "</s>", "<unk>", "<mask>"}
	wp := tokenizer.DefaultWordPieceOptions()
	wp.VocabSize, wp.LimitAlphabet, wp.Lowercase, wp.SpecialTokens = 300, 0, false, []string{"[UNK]", "[CLS]", "[SEP]"}
	src := tokenizer.TextFiles([]string{hardCorpus})
	tests := []struct {
		name  string
		args  []string
		train func() (*tokenizer.Trained, error)
		first string // the first token of Encode("Hello world", true)
	}{
		{"wordpiece defaults", nil, func() (*tokenizer.Trained, error) {
			return tokenizer.TrainWordPiece(src, tokenizer.DefaultWordPieceOptions())
		}, "[CLS]"},
		{"bpe defaults", []string{"--model", "bpe"}, func() (*tokenizer.Trained, error) {
			return tokenizer.TrainBPE(src, tokenizer.DefaultBPEOptions())
		}, "H"},
		{"bpe options", []string{"--model", "bpe", "--vocab-size", "500", "--min-frequency", "1", "--add-prefix-space",
			"--lowercase", "--special-tokens", "<s>,<pad>,</s>,<unk>,<mask>", "--threads", "2"},
			func() (*tokenizer.Trained, error) { return tokenizer.TrainBPE(src, bpe) }, "Ġhello"},
		{"wordpiece options", []string{"--vocab-size", "300", "--limit-alphabet", "0", "--no-lowercase",
			"--special-tokens", "[UNK],[CLS],[SEP]"},
			func() (*tokenizer.Trained, error) { return tokenizer.TrainWordPiece(src, wp) }, "[CLS]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, err := runTok(t, append([]string{"tokenizer", "train", hardCorpus, "-o", dir}, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			lib, err := tt.train()
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("%d tokens (%d special)", len(lib.Vocab), len(lib.Special)); !strings.Contains(out, want) {
				t.Fatalf("output %q, want %q", out, want)
			}
			tok, err := tokenizer.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			for id, s := range lib.Vocab {
				if got, ok := tok.TokenToID(s); !ok || got != int64(id) {
					t.Fatalf("%q: id %d, the package gives %d", s, got, id)
				}
			}
			if lib.Merges != nil {
				merges, err := os.ReadFile(filepath.Join(dir, "merges.txt"))
				if err != nil {
					t.Fatal(err)
				}
				if n := strings.Count(string(merges), "\n") - 1; n != len(lib.Merges) {
					t.Fatalf("merges.txt: %d merges, the package learns %d", n, len(lib.Merges))
				}
			}
			enc, err := tok.Encode("Hello world", true)
			if err != nil {
				t.Fatal(err)
			}
			if enc.Tokens[0] != tt.first {
				t.Fatalf("tokens %q: want %q first", enc.Tokens, tt.first)
			}
		})
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
	out, err := runTok(t, "tokenizer", "train", "--model", "bpe", "--min-frequency", "1", "--vocab-size", "1000",
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
		{[]string{"--model", "unigram", "--lowercase", hardCorpus}, "--lowercase is not a unigram option"},
		{[]string{"--model", "sentencepiece", hardCorpus}, "unknown tokenizer model"},
		{[]string{"--model", "bpe", "--limit-alphabet", "5", hardCorpus}, "--limit-alphabet is a wordpiece option"},
		{[]string{"--add-prefix-space", hardCorpus}, "bpe options"},
		{[]string{jsonl}, "needs --text-fields NAME"},
		{[]string{"--field", "content", jsonl}, `docs.jsonl:2: field "content": missing`},
		{[]string{filepath.Join(in, "nowhere.txt")}, "nowhere.txt"},
		{[]string{}, "no input files"},
		{[]string{"--lowercase", "--no-lowercase", hardCorpus}, "give one of each pair"},
		{[]string{"--vocab-size", "-3", hardCorpus}, "vocab size -3"},
	}
	for _, tt := range tests {
		args := append([]string{"tokenizer", "train", "-o", out}, tt.args...)
		if _, err := runTok(t, args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
	// --skip-bad passes over the record without the field
	if _, err := runTok(t, "tokenizer", "train", "-o", out, "--field", "content", "--skip-bad", "--min-frequency", "1", jsonl); err != nil {
		t.Fatalf("--skip-bad: %v", err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTokenizerTrainUnigram: the command trains what TrainUnigram trains
// (HF's SentencePieceUnigramTokenizer settings) and the directory loads.
func TestTokenizerTrainUnigram(t *testing.T) {
	out := t.TempDir()
	if _, err := runTok(t, "tokenizer", "train", "--model", "unigram", "--vocab-size", "300",
		"--special-tokens", "<unk>", "--unk-token", "<unk>", "-o", out, hardCorpus); err != nil {
		t.Fatal(err)
	}
	o := tokenizer.DefaultUnigramOptions()
	o.VocabSize, o.SpecialTokens, o.UnkToken = 300, []string{"<unk>"}, "<unk>"
	want, err := tokenizer.TrainUnigram(tokenizer.TextFiles([]string{hardCorpus}), o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tokenizer.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.VocabSize() != len(want.Pieces) {
		t.Fatalf("vocabulary: %d pieces, want %d", got.VocabSize(), len(want.Pieces))
	}
	for id, p := range want.Pieces {
		if tok, _ := got.IDToToken(int64(id)); tok != p.Piece {
			t.Fatalf("id %d: %q, want %q", id, tok, p.Piece)
		}
	}
	if _, err := got.Encode("没见过的字 ☃", false); err != nil {
		t.Errorf("unseen characters with an unk: %v", err)
	}
}
