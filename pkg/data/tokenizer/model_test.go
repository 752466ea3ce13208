package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// These tests use tiny vocabularies, so they run without ../shared.

func TestBPEMergeOrder(t *testing.T) {
	tests := []struct {
		name   string
		merges string
		extra  []string
		word   string
		want   []string
	}{
		// Lowest rank first, wherever it is.
		{"rank wins over position", "b c\na b\n", []string{"bc", "ab"}, "abc", []string{"a", "bc"}},
		{"rank order reversed", "a b\nb c\n", []string{"ab", "bc"}, "abc", []string{"ab", "c"}},
		// Equal ranks (the same pair twice): the leftmost merges first, as in
		// HF's word.rs, so "aaa" is "aa a", never "a aa".
		{"leftmost among equals", "a a\n", []string{"aa"}, "aaa", []string{"aa", "a"}},
		{"leftmost then again", "a a\naa aa\n", []string{"aa", "aaaa"}, "aaaaa", []string{"aaaa", "a"}},
		{"no merge applies", "x y\n", []string{"xy"}, "abc", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"vocab.json": byteVocab(tt.extra...), "merges.txt": tt.merges})
			tok, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := tok.Encode(tt.word, true)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(enc.Tokens, tt.want) {
				t.Fatalf("tokens %q, want %q", enc.Tokens, tt.want)
			}
		})
	}
}

func TestGPT2Split(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"a\n\nb", []string{"a", "\n", "\n", "b"}}, // \s+(?!\S) leaves the last newline
		{"a  b", []string{"a", " ", " b"}},
		{"end   ", []string{"end", "   "}}, // trailing whitespace stays one piece
		{"don't we'll", []string{"don", "'t", " we", "'ll"}},
		{"x 100084!!!!", []string{"x", " 100084", "!!!!"}},
		{"a\u3000b", []string{"a", "\u3000", "b"}},
		{"''s", []string{"''", "s"}},
	}
	for _, tt := range tests {
		rs := []rune(tt.text)
		var got []string
		for _, w := range gpt2Split(rs) {
			got = append(got, string(rs[w[0]:w[1]]))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: split %q, want %q", tt.text, got, tt.want)
		}
	}
}

func tinyBert(t *testing.T) *Pipeline {
	t.Helper()
	vocab := "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\ncafe\n我\n爱\n,\n.\nistanbul\n"
	tok, err := Load(writeFiles(t, map[string]string{"vocab.txt": vocab}))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTinyBert(t *testing.T) {
	tok := tinyBert(t)
	tests := []struct {
		text       string
		wantTokens []string
		wantDecode string
	}{
		{"unaffable", []string{"[CLS]", "un", "##aff", "##able", "[SEP]"}, "[CLS] unaffable [SEP]"},
		{"Café, 我爱!", []string{"[CLS]", "cafe", ",", "我", "爱", "[UNK]", "[SEP]"}, "[CLS] cafe, 我 爱 [UNK] [SEP]"},
		{"\ufeffİSTANBUL\u00a0[SEP]", []string{"[CLS]", "istanbul", "[SEP]", "[SEP]"}, "[CLS] istanbul [SEP] [SEP]"},
		{strings.Repeat("un", 51), []string{"[CLS]", "[UNK]", "[SEP]"}, "[CLS] [UNK] [SEP]"}, // 102 > 100 runes
	}
	for _, tt := range tests {
		enc, err := tok.Encode(tt.text, true)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(enc.Tokens, tt.wantTokens) {
			t.Errorf("%q: tokens %q, want %q", tt.text, enc.Tokens, tt.wantTokens)
		}
		if got := tok.Decode(enc.IDs, false); got != tt.wantDecode {
			t.Errorf("%q: decode %q, want %q", tt.text, got, tt.wantDecode)
		}
	}
	s := tok.Special()
	if want := (Specials{PAD: 0, UNK: 1, CLS: 2, SEP: 3, MASK: 4, BOS: -1, EOS: -1}); s != want {
		t.Errorf("specials %+v, want %+v", s, want)
	}
}

func TestTinyBertPair(t *testing.T) {
	enc, err := tinyBert(t).EncodePair("我", "cafe.", true)
	if err != nil {
		t.Fatal(err)
	}
	wantTokens := []string{"[CLS]", "我", "[SEP]", "cafe", ".", "[SEP]"}
	wantTypes := []int64{0, 0, 0, 1, 1, 1}
	wantOffsets := [][2]int{{0, 0}, {0, 1}, {0, 0}, {0, 4}, {4, 5}, {0, 0}}
	if !slices.Equal(enc.Tokens, wantTokens) || !slices.Equal(enc.TypeIDs, wantTypes) || !slices.Equal(enc.Offsets, wantOffsets) {
		t.Fatalf("got %q %v %v, want %q %v %v", enc.Tokens, enc.TypeIDs, enc.Offsets, wantTokens, wantTypes, wantOffsets)
	}
}

func TestInvalidUTF8(t *testing.T) {
	tok := tinyBert(t)
	_, err := tok.Encode("ab\xffc", true)
	if err == nil || !strings.Contains(err.Error(), "not valid UTF-8 at byte 2") {
		t.Fatalf("error %v, want invalid UTF-8 at byte 2", err)
	}
	_, err = tok.EncodePair("ok", "\xe4\xb8", true)
	if err == nil || !strings.Contains(err.Error(), "second text") {
		t.Fatalf("error %v, want one naming the second text", err)
	}
}

func TestEncodeBatch(t *testing.T) {
	tok := tinyBert(t)
	encs, errs := EncodeBatch(tok, []string{"我", "bad\xff", "cafe"}, false)
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("errors for valid texts: %v", errs)
	}
	if errs[1] == nil || !strings.HasPrefix(errs[1].Error(), "text 1: ") {
		t.Fatalf("error %v, want one for text 1", errs[1])
	}
	if !slices.Equal(encs[0].Tokens, []string{"我"}) || !slices.Equal(encs[2].Tokens, []string{"cafe"}) || encs[1].IDs != nil {
		t.Fatalf("encodings %+v", encs)
	}
}

// TestConcurrentEncode shares one tokenizer, and its BPE cache, between
// goroutines; run with -race it checks the "safe for concurrent use" claim.
func TestConcurrentEncode(t *testing.T) {
	dir := writeFiles(t, map[string]string{"vocab.json": byteVocab("ab", "abc"), "merges.txt": "a b\nab c\n"})
	tok, err := Load(dir) // shared, its cache starts empty
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"abc abc", "ab ab", "cab", "abcabc", "x abc"}
	want := make([][]int64, len(texts))
	for i, text := range texts {
		enc, err := ref.Encode(text, false)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = enc.IDs
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for i, text := range texts {
				enc, err := tok.Encode(text, false)
				if err == nil && !slices.Equal(enc.IDs, want[i]) {
					err = fmt.Errorf("%q: ids %v, want %v", text, enc.IDs, want[i])
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSharedSpecials checks the ids that ../shared/README.md gives for the
// BERT vocabulary, and GPT-2's 50,257 tokens with <|endoftext|> as the last.
func TestSharedSpecials(t *testing.T) {
	tests := []struct {
		name string
		tok  func(testing.TB) *Pipeline
		size int
		want Specials
	}{
		{"bert", sharedBert, 21128, Specials{PAD: 0, UNK: 100, CLS: 101, SEP: 102, MASK: 103, BOS: -1, EOS: -1}},
		{"gpt2", sharedGPT2, 50257, Specials{PAD: -1, UNK: 50256, CLS: -1, SEP: -1, MASK: -1, BOS: 50256, EOS: 50256}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.tok(t)
			if got := tok.VocabSize(); got != tt.size {
				t.Errorf("vocabulary size %d, want %d", got, tt.size)
			}
			if got := tok.Special(); got != tt.want {
				t.Errorf("specials %+v, want %+v", got, tt.want)
			}
		})
	}
}
