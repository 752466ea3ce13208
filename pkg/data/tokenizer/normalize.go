package tokenizer

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normText is text under normalization. Every rune remembers the input rune
// it came from, so token offsets point into the caller's text as HF's
// NormalizedString alignments do.
type normText struct {
	runes []rune
	orig  []int // orig[i] is the input rune index runes[i] came from
}

func newNormText(runes []rune, base int) normText {
	orig := make([]int, len(runes))
	for i := range orig {
		orig[i] = base + i
	}
	return normText{runes: runes, orig: orig}
}

// bertNormalizer mirrors HF's BertNormalizer (tokenizers/src/normalizers/bert.rs).
// The steps run in HF's order: clean text, pad Chinese characters, strip
// accents, lowercase.
type bertNormalizer struct {
	cleanText    bool // remove NUL, U+FFFD and control characters; whitespace becomes ' '
	chineseChars bool // put spaces around CJK ideographs so each is its own word
	stripAccents bool // NFD, then drop nonspacing marks (Mn)
	lowercase    bool // Rust's char::to_lowercase
	// stripOpt is strip_accents as configured: nil (null) follows
	// lowercase. BertTokenizerFast compares it with its own option.
	stripOpt *bool
}

func (n bertNormalizer) normalize(t normText) normText {
	out := normText{runes: make([]rune, 0, len(t.runes)), orig: make([]int, 0, len(t.runes))}
	for i, r := range t.runes {
		if n.cleanText {
			if r == 0 || r == unicode.ReplacementChar || isBertControl(r) {
				continue
			}
			if isBertWhitespace(r) {
				r = ' '
			}
		}
		if n.chineseChars && isChineseChar(r) {
			out.runes = append(out.runes, ' ', r, ' ')
			out.orig = append(out.orig, t.orig[i], t.orig[i], t.orig[i])
			continue
		}
		out.runes = append(out.runes, r)
		out.orig = append(out.orig, t.orig[i])
	}
	if n.stripAccents {
		out = stripAccents(out)
	}
	if n.lowercase {
		out = lowercase(out)
	}
	return out
}

// stripAccents decomposes to NFD and drops nonspacing marks, as HF's
// strip_accents does. NFD runs per normalization segment (a starter and its
// marks) because canonical reordering may move marks inside a segment.
// Segments are found with NextBoundaryInString, not norm.Iter: Iter panics
// (nil flush function, x/text v0.44) on a segment whose marks it must
// reorder after a starter it cannot decompose, such as "ｶﾞ\u0301\u0323".
func stripAccents(t normText) normText {
	out := normText{runes: make([]rune, 0, len(t.runes)), orig: make([]int, 0, len(t.runes))}
	src := string(t.runes)
	runeAt := byteToRune(src)
	for start := 0; start < len(src); {
		n := norm.NFD.NextBoundaryInString(src[start:], true)
		if n <= 0 { // cannot happen on valid UTF-8; never loop forever
			_, n = utf8.DecodeRuneInString(src[start:])
		}
		stop := start + n
		seg := norm.NFD.String(src[start:stop])
		first, end := runeAt[start], runeAt[stop]
		start = stop
		runes, from := t.runes[first:end], []int(nil) // from == nil: rune k came from rune k
		if !equalUTF8(runes, seg) {                   // the common case skips this: NFD changed nothing
			runes, from = decomposeSegment(runes, seg)
		}
		for k, r := range runes {
			if isNonspacingMark(r) {
				continue
			}
			src := k
			if from != nil {
				src = from[k]
			}
			out.runes = append(out.runes, r)
			out.orig = append(out.orig, t.orig[first+src])
		}
	}
	return out
}

// equalUTF8 reports whether b is the UTF-8 encoding of rs.
func equalUTF8(rs []rune, b string) bool {
	for _, r := range rs {
		got, n := utf8.DecodeRuneInString(b)
		if n == 0 || got != r {
			return false
		}
		b = b[n:]
	}
	return len(b) == 0
}

// decomposeSegment returns the NFD of one segment and, per output rune, the
// index of the segment rune it came from. HF's normalization tables predate
// the runes that Unicode 8.0 had not assigned: such runes stay as they are and
// their segment is decomposed rune by rune, without reordering. Where NFD
// reordered marks, outputs map to input runes by position.
func decomposeSegment(rs []rune, nfd string) ([]rune, []int) {
	var out []rune
	var from []int
	old := true
	for i, r := range rs {
		d := []rune(string(r))
		if unicode.Is(unicode8, r) {
			d = []rune(norm.NFD.String(string(r)))
		} else {
			old = false
		}
		for _, x := range d {
			out = append(out, x)
			from = append(from, i)
		}
	}
	if whole := []rune(string(nfd)); old && len(whole) == len(out) {
		out = whole
	}
	return out, from
}

// lowercase mirrors Rust's char::to_lowercase, which differs from Go's
// unicode.ToLower only for U+0130 (İ → "i̇", two runes).
func lowercase(t normText) normText {
	out := normText{runes: make([]rune, 0, len(t.runes)), orig: make([]int, 0, len(t.runes))}
	for i, r := range t.runes {
		if r == 'İ' {
			out.runes = append(out.runes, 'i', '\u0307')
			out.orig = append(out.orig, t.orig[i], t.orig[i])
			continue
		}
		out.runes = append(out.runes, unicode.ToLower(r))
		out.orig = append(out.orig, t.orig[i])
	}
	return out
}
