package metrics

import (
	"strings"
	"unicode"
)

// Tokens splits text into the tokens ROUGE and BLEU count, a rule made for
// Chinese text with Latin words and numbers mixed in:
//
//   - full-width ASCII forms (U+FF01–U+FF5E: Ａ, １, ％) are first folded to
//     ASCII;
//   - every CJK character is one token. CJK means the Unicode Han script
//     (ideographs, 〇, 々, the radicals) plus every code point of the blocks
//     BERT's tokenizer treats as Chinese (_is_chinese_char: CJK Unified
//     Ideographs and Extensions A–F, Compatibility Ideographs and their
//     supplement, unassigned code points there included);
//   - letters, numbers and combining marks of every other script (Unicode
//     categories L, N, M: ASCII and accented Latin, Greek, Cyrillic, Hangul,
//     Kana, ①, Ⅱ) form runs, and each run is one token, lowercased rune by
//     rune (Unicode's simple case mapping), so "LSTM" and "lstm" match,
//     "gpt2" is one token and a Korean or Russian word is one token;
//   - everything else (whitespace, punctuation, symbols such as ℃, ×, emoji)
//     separates runs and is dropped.
//
// So "基于BERT-2模型，准确率95％" gives 基 于 bert 2 模 型 准 确 率 95. Scores
// are therefore character-level for Chinese and word-level for Latin text;
// sacrebleu's tokenize="zh" differs in keeping punctuation as tokens and in
// not lowercasing.
func Tokens(text string) []string {
	var out []string
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			out = append(out, run.String())
			run.Reset()
		}
	}
	for _, r := range text {
		if 0xFF01 <= r && r <= 0xFF5E {
			r -= 0xFEE0 // full-width ASCII → ASCII
		}
		switch {
		case IsCJK(r):
			flush()
			out = append(out, string(r))
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			run.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// bertChinese are the ranges of BERT's _is_chinese_char as HF tokenizers
// 0.20 applies them (pkg/data/tokenizer keeps the same table for its
// pre-tokenizer; 0x2B920 is HF's start of the range after Extension D).
var bertChinese = [][2]rune{
	{0x4E00, 0x9FFF}, {0x3400, 0x4DBF}, {0x20000, 0x2A6DF}, {0x2A700, 0x2B73F},
	{0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF}, {0xF900, 0xFAFF}, {0x2F800, 0x2FA1F},
}

// IsCJK reports whether r is one token on its own under Tokens: a Han
// character or a code point BERT's tokenizer treats as Chinese.
func IsCJK(r rune) bool {
	if r < 0x2E80 {
		return false // fast path: nothing below the CJK radicals qualifies
	}
	for _, rg := range bertChinese {
		if rg[0] <= r && r <= rg[1] {
			return true
		}
	}
	return unicode.Is(unicode.Han, r)
}
