package tokenizer

import "strings"

// addedToken is an entry of HF's added vocabulary: a token matched whole in
// the raw text before normalization, such as [SEP] or <|endoftext|>.
type addedToken struct {
	content string
	id      int64
	special bool // dropped by Decode(ids, skipSpecial=true)
	lstrip  bool // the match swallows whitespace on its left
	rstrip  bool // the match swallows whitespace on its right
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
	byteToRune := make([]int, len(text)+1)
	runeToByte := make([]int, 0, len(rs)+1)
	for b := range text {
		byteToRune[b] = len(runeToByte)
		runeToByte = append(runeToByte, b)
	}
	byteToRune[len(text)] = len(rs)
	runeToByte = append(runeToByte, len(text))

	var segs []segment
	plain := 0 // start of pending plain text, in runes
	for pos := 0; pos < len(text); {
		at, tok := nextAdded(text, pos, added)
		if tok == nil {
			break
		}
		start, end := byteToRune[at], byteToRune[at+len(tok.content)]
		if tok.lstrip {
			for start > plain && isBertWhitespace(rs[start-1]) {
				start--
			}
		}
		if tok.rstrip {
			for end < len(rs) && isBertWhitespace(rs[end]) {
				end++
			}
		}
		if start > plain {
			segs = append(segs, segment{plain, start, -1})
		}
		segs = append(segs, segment{start, end, tok.id})
		plain = end
		pos = runeToByte[end]
	}
	if plain < len(rs) {
		segs = append(segs, segment{plain, len(rs), -1})
	}
	return segs
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
