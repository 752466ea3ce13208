package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

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

// TestMetaspace covers the schemes the fixtures do not (never; first after
// the start), the legacy add_prefix_space field and split false, with
// answers from metaspace.rs's rules.
func TestMetaspace(t *testing.T) {
	words := func(m metaspace, text string, start int) []string {
		var out []string
		for _, w := range m.preTokenize(newNormText([]rune(text), start), start) {
			out = append(out, string(w.runes))
		}
		return out
	}
	tests := []struct {
		name  string
		json  string
		text  string
		start int
		want  []string
		dec   string // decode of want
	}{
		{"always", `{"replacement": "▁"}`, "a b", 0, []string{"▁a", "▁b"}, "a b"},
		{"never", `{"replacement": "▁", "prepend_scheme": "never"}`, "a b", 0, []string{"a", "▁b"}, "a b"},
		{"legacy false", `{"replacement": "▁", "add_prefix_space": false, "prepend_scheme": "never"}`, "a  b", 0, []string{"a", "▁", "▁b"}, "a  b"},
		{"legacy true", `{"replacement": "▁", "add_prefix_space": true}`, "a", 0, []string{"▁a"}, "a"},
		{"first at start", `{"replacement": "▁", "prepend_scheme": "first"}`, "a b", 0, []string{"▁a", "▁b"}, "a b"},
		{"first later", `{"replacement": "▁", "prepend_scheme": "first"}`, "a b", 3, []string{"a", "▁b"}, "a b"},
		{"no split", `{"replacement": "▁", "split": false}`, "a b ", 0, []string{"▁a▁b▁"}, "ab"}, // HF drops every ▁ of the first token
		{"other replacement", `{"replacement": "_", "prepend_scheme": "never"}`, " x", 0, []string{"_x"}, " x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s stageJSON
			if err := json.Unmarshal([]byte(tt.json), &s); err != nil {
				t.Fatal(err)
			}
			m, err := s.metaspace("pre_tokenizer")
			if err != nil {
				t.Fatal(err)
			}
			if got := words(m, tt.text, tt.start); !slices.Equal(got, tt.want) {
				t.Errorf("words %q, want %q", got, tt.want)
			}
			if got := (decoderChain{m}).decode(tt.want); got != tt.dec {
				t.Errorf("decode %q, want %q", got, tt.dec)
			}
		})
	}
}
