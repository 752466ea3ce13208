package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// normalizer is one of HF's normalizers (tokenizers/src/normalizers): it
// rewrites the text and keeps every rune's origin.
type normalizer interface {
	normalize(t normText) normText
}

// normalizerSeq is HF's normalizers.Sequence: each stage in turn.
type normalizerSeq []normalizer

func (s normalizerSeq) normalize(t normText) normText {
	for _, n := range s {
		t = n.normalize(t)
	}
	return t
}

// stripNormalizer is HF's normalizers.Strip: whitespace (Rust's
// char::is_whitespace, the White_Space property) is removed at either end.
type stripNormalizer struct{ left, right bool }

func (s stripNormalizer) normalize(t normText) normText {
	i, j := 0, len(t.runes)
	for s.left && i < j && unicode.IsSpace(t.runes[i]) {
		i++
	}
	for s.right && j > i && unicode.IsSpace(t.runes[j-1]) {
		j--
	}
	return t.slice(i, j)
}

// lowercaseNormalizer is HF's normalizers.Lowercase (Rust's to_lowercase, as
// BertNormalizer's lowercasing).
type lowercaseNormalizer struct{}

func (lowercaseNormalizer) normalize(t normText) normText { return lowercase(t) }

// prependNormalizer is HF's normalizers.Prepend (Llama's "▁" before the text).
type prependNormalizer struct{ prefix []rune }

func (p prependNormalizer) normalize(t normText) normText { return t.prepend(p.prefix) }

// nmtNormalizer is HF's normalizers.Nmt (do_nmt in normalizers/unicode.rs):
// ASCII control characters are removed and some spaces become ' '.
type nmtNormalizer struct{}

func (nmtNormalizer) normalize(t normText) normText {
	t = t.filter(func(r rune) bool {
		return !(r >= 0x01 && r <= 0x08 || r == 0x0B || r >= 0x0E && r <= 0x1F || r == 0x7F || r == 0x8F || r == 0x9F)
	})
	for i, r := range t.runes {
		switch {
		case r == 0x09, r == 0x0A, r == 0x0C, r == 0x0D, r == 0x1680, r >= 0x200B && r <= 0x200F,
			r == 0x2028, r == 0x2029, r == 0x2581, r == 0xFEFF, r == 0xFFFD:
			t.runes[i] = ' ' // filter copied the runes, so this does not touch the caller's
		}
	}
	return t
}

// replacePattern is HF's ReplacePattern: a literal string or a regular
// expression. HF compiles regexes with Oniguruma; Go's RE2 syntax covers the
// patterns real tokenizers use (" {2,}", "\s+"), and one it cannot compile
// (look-around, back-references) is a load error naming the pattern.
type replacePattern struct {
	literal string
	re      *regexp.Regexp // nil for a literal
}

func newReplacePattern(literal, regex *string) (replacePattern, error) {
	switch {
	case literal != nil && regex == nil:
		if *literal == "" {
			return replacePattern{}, fmt.Errorf("pattern: empty String")
		}
		return replacePattern{literal: *literal}, nil
	case regex != nil && literal == nil:
		re, err := regexp.Compile(*regex)
		if err != nil {
			return replacePattern{}, fmt.Errorf("pattern Regex %q: %w", *regex, err)
		}
		return replacePattern{re: re}, nil
	}
	return replacePattern{}, fmt.Errorf(`pattern: want {"String": ...} or {"Regex": ...}`)
}

// find returns the [start, end) byte ranges of the non-overlapping matches in s.
func (p replacePattern) find(s string) [][2]int {
	var out [][2]int
	if p.re != nil {
		for _, m := range p.re.FindAllStringIndex(s, -1) {
			out = append(out, [2]int{m[0], m[1]})
		}
		return out
	}
	for at := 0; ; {
		k := strings.Index(s[at:], p.literal)
		if k < 0 {
			return out
		}
		out = append(out, [2]int{at + k, at + k + len(p.literal)})
		at += k + len(p.literal)
	}
}

// replaceAll is the Replace decoder's rewrite of one token.
func (p replacePattern) replaceAll(s, content string) string {
	if p.re != nil {
		return p.re.ReplaceAllLiteralString(s, content)
	}
	return strings.ReplaceAll(s, p.literal, content)
}

// replaceNormalizer is HF's normalizers.Replace (NormalizedString::replace):
// every rune of the content takes the origin of the last rune of the match it
// replaces.
type replaceNormalizer struct {
	pattern replacePattern
	content []rune
}

func (n replaceNormalizer) normalize(t normText) normText {
	s := string(t.runes)
	matches := n.pattern.find(s)
	if len(matches) == 0 {
		return t
	}
	out := normText{runes: make([]rune, 0, len(t.runes)), orig: make([]int, 0, len(t.orig))}
	last := 0
	byteAt := make([]int, len(t.runes)+1)
	for i, b := 0, 0; i < len(t.runes); i++ {
		byteAt[i] = b
		b += utf8.RuneLen(t.runes[i])
		byteAt[i+1] = b
	}
	toRune := func(b int) int { // byteAt is sorted
		lo, hi := 0, len(t.runes)
		for lo < hi {
			mid := (lo + hi) / 2
			if byteAt[mid] < b {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return lo
	}
	for _, m := range matches {
		start, end := toRune(m[0]), toRune(m[1])
		out.runes = append(out.runes, t.runes[last:start]...)
		out.orig = append(out.orig, t.orig[last:start]...)
		o := 0
		switch {
		case end >= 1:
			o = t.orig[end-1]
		case len(t.orig) > 0:
			o = t.orig[0]
		}
		for _, c := range n.content {
			out.runes = append(out.runes, c)
			out.orig = append(out.orig, o)
		}
		last = end
	}
	out.runes = append(out.runes, t.runes[last:]...)
	out.orig = append(out.orig, t.orig[last:]...)
	return out
}
