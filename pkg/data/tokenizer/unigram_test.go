package tokenizer

import (
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
