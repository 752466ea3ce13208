package tokenizer

import (
	"unicode"

	"golang.org/x/text/unicode/rangetable"
)

// Character classes of HF tokenizers 0.20. They are not Go's current ones:
// the BERT normalizer and pre-tokenizer read general categories from the
// unicode_categories crate (Unicode 8.0), GPT-2's split pattern runs on
// Oniguruma's Unicode 14.0 tables, while Go's unicode package is 15.0.
// charclass_test.go checks all of them against HF on every code point.

// unicode8 holds the code points assigned in Unicode 8.0.
var unicode8 = rangetable.Assigned("8.0.0")

// changedSince8 are the characters assigned by Unicode 8.0 whose general
// category changed later, with their 8.0 category.
var changedSince8 = map[rune]string{
	0x166D:  "Po", // CANADIAN SYLLABICS CHI SIGN, So since 12.0
	0x1734:  "Mn", // HANUNOO SIGN PAMUDPOD, Mc since 14.0
	0x1885:  "Lo", // MONGOLIAN LETTER ALI GALI BALUDA, Mn since 9.0
	0x1886:  "Lo", // MONGOLIAN LETTER ALI GALI THREE BALUDA, Mn since 9.0
	0xA9BD:  "Mc", // JAVANESE CONSONANT SIGN KERET, Mn since 12.0
	0x111C9: "Po", // SHARADA SANDHI MARK, Mn since 9.0
}

// inUnicode8 reports whether r had a general category in table (named name,
// e.g. "P" or "Mn") in Unicode 8.0. Code points unassigned then are in none.
func inUnicode8(r rune, table *unicode.RangeTable, name string) bool {
	if cat, ok := changedSince8[r]; ok {
		return cat[:len(name)] == name
	}
	return unicode.Is(unicode8, r) && unicode.Is(table, r)
}

// isBertWhitespace mirrors is_whitespace: Rust's char::is_whitespace, which is
// the Unicode White_Space property, the same set as unicode.IsSpace.
func isBertWhitespace(r rune) bool {
	return unicode.IsSpace(r)
}

// isBertControl mirrors is_control: "Other" characters (Cc, Cf, Co, Cs; the
// crate has no Cn table) except tab, newline and carriage return, which count
// as whitespace. Private-use characters, BOM, zero-width space and soft hyphen
// are removed by it.
func isBertControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return inUnicode8(r, unicode.C, "C")
}

// isBertPunct mirrors is_bert_punc: ASCII punctuation (which includes symbols
// such as $ + < = > ^ ` | ~) or any Unicode punctuation category.
func isBertPunct(r rune) bool {
	if r < 0x80 {
		return r > ' ' && r < 0x7f && !('0' <= r && r <= '9') && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z')
	}
	return inUnicode8(r, unicode.P, "P")
}

// isNonspacingMark is is_mark_nonspacing, what strip_accents removes.
func isNonspacingMark(r rune) bool {
	return inUnicode8(r, unicode.Mn, "Mn")
}

// chineseRanges are the CJK blocks of is_chinese_char, including HF's
// 0x2B920 start of the range after Extension D (not 0x2B820).
var chineseRanges = [][2]rune{
	{0x4E00, 0x9FFF}, {0x3400, 0x4DBF}, {0x20000, 0x2A6DF}, {0x2A700, 0x2B73F},
	{0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF}, {0xF900, 0xFAFF}, {0x2F800, 0x2FA1F},
}

func isChineseChar(r rune) bool {
	for _, rg := range chineseRanges {
		if rg[0] <= r && r <= rg[1] {
			return true
		}
	}
	return false
}

// newInUnicode15 are the letters and numbers first assigned in Unicode 15.0
// (DerivedAge.txt). Oniguruma's \p{L} and \p{N} (Unicode 14.0) do not match
// them, so GPT-2's pattern treats them as [^\s\p{L}\p{N}].
var newInUnicode15 = &unicode.RangeTable{R32: []unicode.Range32{
	{0x1123F, 0x11240, 1}, {0x11F02, 0x11F02, 1}, {0x11F04, 0x11F10, 1}, {0x11F12, 0x11F33, 1},
	{0x11F50, 0x11F59, 1}, {0x1342F, 0x1342F, 1}, {0x13441, 0x13446, 1}, {0x1B132, 0x1B132, 1},
	{0x1B155, 0x1B155, 1}, {0x1D2C0, 0x1D2D3, 1}, {0x1DF25, 0x1DF2A, 1}, {0x1E030, 0x1E06D, 1},
	{0x1E4D0, 0x1E4EB, 1}, {0x1E4F0, 0x1E4F9, 1}, {0x2B739, 0x2B739, 1}, {0x31350, 0x323AF, 1},
}}
