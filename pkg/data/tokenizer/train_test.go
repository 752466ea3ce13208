package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTrainBPEHFUnitCases runs the word counts of HF's own trainer tests
// (tokenizers/src/models/bpe/trainer.rs: test_train and
// bpe_test_max_token_length_direct_assert) and wants their vocabularies.
func TestTrainBPEHFUnitCases(t *testing.T) {
	tests := []struct {
		name   string
		words  map[string]int64
		c      bpeConfig
		vocab  []string
		merges [][2]string
	}{{
		name: "test_train",
		words: map[string]int64{"roses": 1, "are": 2, "red": 1, "voilets": 1, "blue": 1, "BERT": 1, "is": 2,
			"big": 1, "and": 1, "so": 1, "GPT-2": 1},
		c: bpeConfig{vocabSize: 30000, minFrequency: 2},
		vocab: []string{"-", "2", "B", "E", "G", "P", "R", "T", "a", "b", "d", "e", "g", "i", "l", "n", "o", "r",
			"s", "t", "u", "v", "re", "are", "is"},
		merges: [][2]string{{"r", "e"}, {"a", "re"}, {"i", "s"}},
	}, {
		name: "max_token_length_direct_assert",
		words: map[string]int64{"sin": 2, "Sin": 2, "Lon": 2, "Ano": 2, "짧은한": 2, "긴한글": 2, "短字符": 2,
			"长字符": 2, "短い文": 2, "長い文": 2, "so": 2, "GP": 2},
		c: bpeConfig{vocabSize: 30000, maxTokenLength: 2},
		// HF's expected map, listed by id
		vocab: []string{"A", "G", "L", "P", "S", "i", "n", "o", "s", "い", "字", "文", "短", "符", "長", "长", "글",
			"긴", "은", "짧", "한", "in", "い文", "字符", "An", "GP", "Lo", "so", "긴한", "은한"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := trainBPE(tt.words, tt.c, nil)
			if !slices.Equal(r.vocab, tt.vocab) {
				t.Errorf("vocab\n got %q\nwant %q", r.vocab, tt.vocab)
			}
			if tt.merges != nil && !slices.Equal(r.merges, tt.merges) {
				t.Errorf("merges %q, want %q", r.merges, tt.merges)
			}
		})
	}
}

// TestTrainBPEEdges pins min_frequency, vocab_size and tie rules on tiny
// counts whose results are worked out by hand.
func TestTrainBPEEdges(t *testing.T) {
	tests := []struct {
		name  string
		words map[string]int64
		c     bpeConfig
		vocab []string
	}{
		// (a,b) occurs exactly min_frequency times: merged; (c,d) once: not.
		{"min frequency is inclusive", map[string]int64{"ab": 2, "cd": 1}, bpeConfig{vocabSize: 100, minFrequency: 2},
			[]string{"a", "b", "c", "d", "ab"}},
		// three pairs tie at 1: the smaller pair of ids goes first, (a,b) < (b,c) < (c,d).
		{"ties by pair ids", map[string]int64{"cd": 1, "bc": 1, "ab": 1}, bpeConfig{vocabSize: 6},
			[]string{"a", "b", "c", "d", "ab", "bc"}},
		// the vocabulary may end up larger than vocab_size: the alphabet is never cut by it.
		{"alphabet over vocab size", map[string]int64{"abc": 5}, bpeConfig{vocabSize: 2},
			[]string{"a", "b", "c"}},
		// specials first, a repeated one once, then the alphabet.
		{"specials", map[string]int64{"ab": 3}, bpeConfig{vocabSize: 5, specials: []string{"<s>", "x", "<s>"}},
			[]string{"<s>", "x", "a", "b", "ab"}},
		// the overlap in "aaa": (a,a) is merged once per word, left to right.
		{"overlapping pair", map[string]int64{"aaa": 4}, bpeConfig{vocabSize: 10},
			[]string{"a", "aa", "aaa"}},
		// characters outside the cut alphabet vanish from words; among the tied
		// b, c, d (count 1 each) the lowest code point stays.
		{"alphabet limit ties", map[string]int64{"ab": 1, "ac": 1, "ad": 1, "a": 7}, bpeConfig{vocabSize: 10, limitAlphabet: 2},
			[]string{"a", "b", "ab"}},
		// WordPiece: prefixed characters get ids after the alphabet, in code point order.
		{"prefix ids", map[string]int64{"zb": 1, "ya": 1}, bpeConfig{vocabSize: 5, prefix: "##"},
			[]string{"a", "b", "y", "z", "##a", "##b"}},
		{"prefix merge strips the prefix", map[string]int64{"abc": 2}, bpeConfig{vocabSize: 20, prefix: "##"},
			[]string{"a", "b", "c", "##b", "##c", "ab", "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trainBPE(tt.words, tt.c, nil).vocab; !slices.Equal(got, tt.vocab) {
				t.Errorf("vocab %q, want %q", got, tt.vocab)
			}
		})
	}
}

// TestTrainDeterministic: without a replayed HF order, the result is the
// same whatever the number of goroutines and from run to run.
func TestTrainDeterministic(t *testing.T) {
	src := TextFiles([]string{"testdata/train/hard.txt"})
	var first *Trained
	for _, workers := range []int{1, 3, 1, 2} {
		o := DefaultWordPieceOptions()
		o.MinFrequency, o.LimitAlphabet, o.Workers = 1, 50, workers
		tr, err := TrainWordPiece(src, o)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = tr
			continue
		}
		if !slices.Equal(tr.Vocab, first.Vocab) {
			t.Fatalf("workers %d: vocabulary differs from the first run", workers)
		}
	}
	if len(first.Vocab) < 100 {
		t.Fatalf("only %d tokens learned", len(first.Vocab))
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("fine\nalso fine\nbad \xff byte\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop here")
	wp := func(f func(*WordPieceOptions)) func(Source) error {
		return func(src Source) error {
			o := DefaultWordPieceOptions()
			f(&o)
			_, err := TrainWordPiece(src, o)
			return err
		}
	}
	bpe := func(f func(*BPEOptions)) func(Source) error {
		return func(src Source) error {
			o := DefaultBPEOptions()
			f(&o)
			_, err := TrainBPE(src, o)
			return err
		}
	}
	ok := Texts([]string{"hello world"})
	tests := []struct {
		name  string
		train func(Source) error
		src   Source
		want  string
	}{
		{"vocab size", wp(func(o *WordPieceOptions) { o.VocabSize = 0 }), ok, "vocab size 0"},
		{"min frequency", bpe(func(o *BPEOptions) { o.MinFrequency = -1 }), ok, "min frequency -1"},
		{"limit alphabet", wp(func(o *WordPieceOptions) { o.LimitAlphabet = -5 }), ok, "limit alphabet -5"},
		{"max token length", bpe(func(o *BPEOptions) { o.MaxTokenLength = -1 }), ok, "max token length -1"},
		{"unk not special", wp(func(o *WordPieceOptions) { o.SpecialTokens = []string{"[PAD]"} }), ok, `unknown token "[UNK]"`},
		{"empty special", bpe(func(o *BPEOptions) { o.SpecialTokens = []string{"<s>", ""} }), ok, "empty token"},
		{"empty prefix", wp(func(o *WordPieceOptions) { o.Prefix = "" }), ok, "prefix"},
		{"invalid UTF-8 text", bpe(func(*BPEOptions) {}), Texts([]string{"ok", "a\xc3"}), "text 2 is not valid UTF-8 at byte 1"},
		{"invalid UTF-8 line", wp(func(*WordPieceOptions) {}), TextFiles([]string{bad}), "bad.txt:3: invalid UTF-8 at byte 4"},
		{"missing file", bpe(func(*BPEOptions) {}), TextFiles([]string{filepath.Join(dir, "nowhere.txt")}), "nowhere.txt"},
		{"source error", bpe(func(*BPEOptions) {}), func(func(string) error) error { return stop }, "stop here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.train(tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestTrainSave: saving twice into one directory replaces the files and
// leaves no temporary files; what is saved loads and tokenizes as trained.
func TestTrainSave(t *testing.T) {
	o := DefaultBPEOptions()
	o.VocabSize, o.MinFrequency, o.Lowercase, o.SpecialTokens = 300, 1, true, []string{"<|endoftext|>"}
	tr, err := TrainBPE(Texts([]string{"Hello hello HELLO world", "world hello"}), o)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "new", "dir")
	for range 2 {
		if _, err := tr.Save(dir); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"merges.txt", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tok.Encode("HELLO<|endoftext|>", true)
	if err != nil {
		t.Fatal(err)
	}
	// Lowercase normalizer: HELLO is "hello", one learned token; the special token is whole.
	if want := []string{"hello", "<|endoftext|>"}; !slices.Equal(enc.Tokens, want) {
		t.Fatalf("tokens %q, want %q", enc.Tokens, want)
	}
	if sp := tok.Special(); sp.EOS != 0 || sp.BOS != 0 {
		t.Fatalf("specials %+v: <|endoftext|> (id 0) should be BOS and EOS", sp)
	}
}

func TestParseKind(t *testing.T) {
	for _, s := range []string{"wordpiece", "BPE", "unigram"} {
		if _, err := ParseKind(s); err != nil {
			t.Errorf("ParseKind(%q): %v", s, err)
		}
	}
	if _, err := ParseKind("sentencepiece"); err == nil || !strings.Contains(err.Error(), "wordpiece, bpe, unigram") {
		t.Fatalf("ParseKind(sentencepiece) = %v", err)
	}
}
