package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUnigramJSONErrors: bad or unsupported SentencePiece-style stages fail
// at load with an error naming the file, the stage (with its place in a
// Sequence) and the type or field.
func TestUnigramJSONErrors(t *testing.T) {
	const uni = `"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]}`
	tests := []struct {
		name, json, want string
	}{
		{"nested normalizer", `{"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "StripAccents"}]}, ` + uni + `}`,
			`normalizer.normalizers[1] type "StripAccents" is not supported`},
		{"nested decoder", `{"decoder": {"type": "Sequence", "decoders": [{"type": "WordPiece"}]}, ` + uni + `}`,
			`decoder.decoders[0] type "WordPiece" is not supported`},
		{"nested pre-tokenizer", `{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Punctuation"}]}, ` + uni + `}`,
			`pre_tokenizer.pretokenizers[0] type "Punctuation" is not supported`},
		{"regex", `{"normalizer": {"type": "Replace", "pattern": {"Regex": "a(?=b)"}, "content": ""}, ` + uni + `}`,
			`normalizer Replace: pattern Regex "a(?=b)"`},
		{"pattern", `{"normalizer": {"type": "Replace", "pattern": {}, "content": ""}, ` + uni + `}`,
			`normalizer Replace: pattern: want {"String": ...} or {"Regex": ...}`},
		{"charsmap", `{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "AQAAAA=="}, ` + uni + `}`,
			`normalizer Precompiled: precompiled_charsmap: trie size 1`},
		{"charsmap base64", `{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "!!"}, ` + uni + `}`, `illegal base64`},
		{"prefix space", `{"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}, ` + uni + `}`,
			`pre_tokenizer Metaspace: add_prefix_space false does not match prepend_scheme "always"`},
		{"prepend scheme", `{"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"}, ` + uni + `}`,
			`prepend_scheme "sometimes": want always, first or never`},
		{"strip decoder", `{"decoder": {"type": "Strip", "content": "ab", "start": 1, "stop": 0}, ` + uni + `}`,
			`decoder Strip: want one content character`},
		{"vocab", `{"model": {"type": "Unigram", "vocab": [["a", -1.0], ["b"]]}}`, `model.vocab[1]: want [piece, score]`},
		{"unk id", `{"model": {"type": "Unigram", "unk_id": 2, "vocab": [["a", -1.0]]}}`, `unk_id 2 is not below the vocabulary size 1`},
		{"empty vocab", `{"model": {"type": "Unigram", "vocab": []}}`, `the vocabulary is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := FromTokenizerJSON(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, path, tt.want)
			}
		})
	}
}

// TestUnigramModel checks the model on a hand-made vocabulary (HF's doc
// example and unk rules), with answers worked out by hand.
func TestUnigramModel(t *testing.T) {
	vocab := []UnigramPiece{{"<unk>", 0}, {"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}, {"cd", 1}, {"ab", 2}, {"abc", 5}, {"abcd", 10},
		{"<0x78>", -5}, {"<0xC3>", -5}, {"<0xA9>", -5}}
	tests := []struct {
		name     string
		byteFall bool
		word     string
		want     []int64
	}{
		// model.rs's doc example: "abcdacdxx" → abcd, a, cd, xx (two unks fused)
		{"doc example", false, "abcdacdxx", []int64{8, 1, 5, 0}},
		{"unk between pieces", false, "xax", []int64{0, 1, 0}},
		{"byte fallback", true, "axx", []int64{1, 9, 9}},
		{"byte fallback multi-byte", true, "é", []int64{10, 11}},
		{"byte fallback missing byte", true, "ü", []int64{0}}, // <0xBC> is not in the vocabulary
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := newUnigram(vocab, 0, tt.byteFall)
			if err != nil {
				t.Fatal(err)
			}
			pieces, err := m.tokenize([]rune(tt.word))
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, p := range pieces {
				got = append(got, p.id)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
		})
	}
	m, err := newUnigram([]UnigramPiece{{"a", -1}}, -1, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.tokenize([]rune("ab")); err == nil || !strings.Contains(err.Error(), "no unk_id") {
		t.Errorf("unknown character without unk_id: error %v", err)
	}
}
