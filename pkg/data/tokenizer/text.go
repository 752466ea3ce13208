package tokenizer

import "strings"

// Text decodes ids for people to read: special tokens dropped, and the
// spaces HF's WordPiece decoder puts between CJK characters ("基 于 图")
// removed, as the book does with "".join(tokens) for its Chinese GPT-2
// and UniLM outputs. Spaces next to Latin words and digits are kept.
func Text(t Tokenizer, ids []int64) string {
	return JoinCJK(t.Decode(ids, true))
}

// JoinCJK removes every space that has a CJK character (or CJK
// punctuation) on at least one side.
func JoinCJK(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && (isWide(rs[i-1]) || isWide(rs[i+1])) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isWide reports CJK ideographs and full-width/CJK punctuation.
func isWide(r rune) bool {
	return isChineseChar(r) ||
		(r >= 0x3000 && r <= 0x303F) || // CJK symbols and punctuation
		(r >= 0xFF00 && r <= 0xFFEF) || // full-width forms
		(r >= 0x3040 && r <= 0x30FF) // kana
}
