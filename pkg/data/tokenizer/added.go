package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// addedToken is an entry of HF's added vocabulary: a token matched whole in
// the raw text before normalization, such as [SEP] or <|endoftext|>.
type addedToken struct {
	content string
	id      int64
	special bool // dropped by Decode(ids, skipSpecial=true)
	lstrip  bool // the match swallows whitespace on its left
	rstrip  bool // the match swallows whitespace on its right
	// normalized tokens are matched in the normalized text, their own
	// content normalized too ("Zed" matches "ZED" under a lowercasing
	// normalizer); the others in the raw text.
	normalized bool
}

// segment is a [start, end) rune range of the input; id ≥ 0 marks an added
// token, -1 plain text for the model.
type segment struct {
	start, end int
	id         int64
}

// splitAdded cuts rs at added tokens, leftmost match first and the longest
// among those starting at the same rune, as HF's aho-corasick
// (MatchKind::LeftmostLongest) split in added_vocabulary.rs does.
func splitAdded(rs []rune, added []addedToken) []segment {
	if len(added) == 0 {
		return []segment{{0, len(rs), -1}}
	}
	text := string(rs)
	runeAt := byteToRune(text)
	var segs []segment
	plain := 0 // start of pending plain text, in bytes
	for plain < len(text) {
		at, tok := nextAdded(text, plain, added)
		if tok == nil {
			break
		}
		start, end := at, at+len(tok.content)
		for tok.lstrip && start > plain {
			r, n := utf8.DecodeLastRuneInString(text[:start])
			if !isBertWhitespace(r) {
				break
			}
			start -= n
		}
		for tok.rstrip && end < len(text) {
			r, n := utf8.DecodeRuneInString(text[end:])
			if !isBertWhitespace(r) {
				break
			}
			end += n
		}
		if start > plain {
			segs = append(segs, segment{runeAt[plain], runeAt[start], -1})
		}
		segs = append(segs, segment{runeAt[start], runeAt[end], tok.id})
		plain = end
	}
	if plain < len(text) {
		segs = append(segs, segment{runeAt[plain], len(rs), -1})
	}
	return segs
}

// byteToRune maps every rune-starting byte offset of s, and len(s), to a rune index.
func byteToRune(s string) []int {
	at := make([]int, len(s)+1)
	n := 0
	for b := range s {
		at[b] = n
		n++
	}
	at[len(s)] = n
	return at
}

// nextAdded finds the leftmost, then longest, added token at or after byte pos.
func nextAdded(text string, pos int, added []addedToken) (int, *addedToken) {
	best, bestAt := (*addedToken)(nil), -1
	for i := range added {
		tok := &added[i]
		if tok.content == "" {
			continue
		}
		k := strings.Index(text[pos:], tok.content)
		if k < 0 {
			continue
		}
		k += pos
		if bestAt < 0 || k < bestAt || (k == bestAt && len(tok.content) > len(best.content)) {
			best, bestAt = tok, k
		}
	}
	return bestAt, best
}
