package tokenizer

import "unicode"

// A span is a [start, end) range of runes.
type span [2]int

// bertSplit mirrors HF's BertPreTokenizer: whitespace separates words and is
// dropped; every punctuation character is a word of its own.
func bertSplit(rs []rune) []span {
	var words []span
	start := -1
	flush := func(end int) {
		if start >= 0 {
			words = append(words, span{start, end})
			start = -1
		}
	}
	for i, r := range rs {
		switch {
		case isBertWhitespace(r):
			flush(i)
		case isBertPunct(r):
			flush(i)
			words = append(words, span{i, i + 1})
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(rs))
	return words
}

// gpt2Class is the class of a rune in GPT-2's split pattern.
type gpt2Class int

const (
	classOther gpt2Class = iota // [^\s\p{L}\p{N}]
	classLetter
	classNumber
	classSpace
)

func classOf(r rune) gpt2Class {
	switch {
	case r >= 0x10000 && unicode.Is(newInUnicode15, r):
		return classOther
	case unicode.IsSpace(r):
		return classSpace
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	}
	return classOther
}

// contractions are the first alternatives of the GPT-2 pattern, in order.
var contractions = []string{"s", "t", "re", "ve", "m", "ll", "d"}

// gpt2Split mirrors the ByteLevel pre-tokenizer's regex (HF tokenizers,
// from OpenAI's encoder.py):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// Go's regexp has no lookahead, so the alternatives are matched by hand, in
// order, each greedy, as the regex engine tries them.
func gpt2Split(rs []rune) []span {
	var words []span
	for i := 0; i < len(rs); {
		n := gpt2Match(rs, i)
		words = append(words, span{i, i + n})
		i += n
	}
	return words
}

// gpt2Match returns the length (≥ 1) of the pattern's match at rs[i].
func gpt2Match(rs []rune, i int) int {
	if rs[i] == '\'' {
		for _, c := range contractions {
			if hasRunePrefix(rs[i+1:], c) {
				return 1 + len(c)
			}
		}
	}
	// ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
	j := i
	if rs[j] == ' ' && j+1 < len(rs) && classOf(rs[j+1]) != classSpace {
		j++
	}
	if c := classOf(rs[j]); c != classSpace {
		k := j + 1
		for k < len(rs) && classOf(rs[k]) == c {
			k++
		}
		return k - i
	}
	// `\s+(?!\S)` takes the whitespace run but leaves its last rune when a
	// non-space follows, so that rune can start the next word (" word");
	// a single whitespace rune before a non-space falls through to `\s+`.
	k := i + 1
	for k < len(rs) && classOf(rs[k]) == classSpace {
		k++
	}
	if k < len(rs) && k-i > 1 {
		return k - i - 1
	}
	return k - i
}

func hasRunePrefix(rs []rune, prefix string) bool {
	k := 0
	for _, r := range prefix {
		if k >= len(rs) || rs[k] != r {
			return false
		}
		k++
	}
	return true
}
