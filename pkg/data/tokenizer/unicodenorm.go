package tokenizer

import (
	"sort"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

// unicodeForm is one of HF's NFC, NFD, NFKC and NFKD normalizers. HF runs
// the unicode-normalization-alignments crate (Unicode 9.0), whose iterators
// tag each output rune with a change (decomposition adds runes, composition
// folds them); this file ports those iterators over x/text's tables, limited
// to the code points Unicode 9.0 had, so that the text and every rune's origin
// come out as HF's.
type unicodeForm struct {
	compat  bool // K forms: compatibility decompositions too
	compose bool // C forms: recompose after decomposing
}

func (f unicodeForm) goForm() norm.Form {
	switch {
	case f.compat && f.compose:
		return norm.NFKC
	case f.compat:
		return norm.NFKD
	case f.compose:
		return norm.NFC
	}
	return norm.NFD
}

func (f unicodeForm) normalize(t normText) normText {
	if f.goForm().IsNormalString(string(t.runes)) {
		return t // nothing to change in Unicode 15.0, so neither in 9.0
	}
	changes := decompose(t.runes, f.compat)
	if f.compose {
		changes = recompose(changes)
	}
	return t.transform(changes, 0)
}

// unicode9 holds the code points assigned in Unicode 9.0, the version of
// HF's normalization tables; later ones pass through unchanged there.
var unicode9 = rangetable.Assigned("9.0.0")

const (
	hangulBase, hangulCount = 0xAC00, 11172
	jamoL, jamoV, jamoT     = 0x1100, 0x1161, 0x11A7
	jamoVCount, jamoTCount  = 21, 28
)

// decomposeRune calls emit with the full decomposition of r (r itself when it has none).
func decomposeRune(r rune, compat bool, emit func(rune)) {
	if r < 0xC0 && !compat || r < 0xA0 || !unicode.Is(unicode9, r) {
		emit(r)
		return
	}
	if s := r - hangulBase; s >= 0 && s < hangulCount {
		emit(jamoL + s/(jamoVCount*jamoTCount))
		emit(jamoV + s%(jamoVCount*jamoTCount)/jamoTCount)
		if t := s % jamoTCount; t != 0 {
			emit(jamoT + t)
		}
		return
	}
	form := norm.NFD
	if compat {
		form = norm.NFKD
	}
	d := form.PropertiesString(string(r)).Decomposition()
	if d == nil {
		emit(r)
		return
	}
	for _, x := range string(d) {
		emit(x)
	}
}

// ccc is the canonical combining class in Unicode 9.0.
func ccc(r rune) uint8 {
	if r < 0x300 || !unicode.Is(unicode9, r) {
		return 0
	}
	return norm.NFD.PropertiesString(string(r)).CCC()
}

// decompose ports the crate's Decompositions iterator: the first rune of a
// decomposition replaces its source (change 0), the others are inserted
// (change 1), and each run of non-starters is stably sorted by combining class.
func decompose(rs []rune, compat bool) []change {
	out := make([]change, 0, len(rs))
	pending := 0 // start of the unsorted run of non-starters in out
	sortPending := func() {
		run := out[pending:]
		sort.SliceStable(run, func(i, j int) bool { return ccc(run[i].r) < ccc(run[j].r) })
		pending = len(out)
	}
	for _, r := range rs {
		first := true
		decomposeRune(r, compat, func(d rune) {
			if ccc(d) == 0 {
				sortPending()
			}
			n := 1
			if first {
				n = 0
			}
			out = append(out, change{d, n})
			first = false
		})
	}
	sortPending()
	return out
}

// recompose ports the crate's Recompositions iterator: a starter absorbs
// each following rune it composes with (the change of the result is the sum
// of both, minus one), unless a rune of the same or a higher class blocks it.
func recompose(in []change) []change {
	out := make([]change, 0, len(in))
	var composee *change
	var buffer []change
	lastCCC := -1 // -1: none
	for _, c := range in {
		class := int(ccc(c.r))
		if composee == nil {
			if class != 0 {
				out = append(out, c)
				continue
			}
			cc := c
			composee = &cc
			continue
		}
		if lastCCC < 0 {
			if r, ok := composePair(composee.r, c.r); ok {
				composee.r, composee.n = r, composee.n+c.n-1
				continue
			}
			if class == 0 {
				out = append(out, *composee)
				cc := c
				composee = &cc
				continue
			}
			buffer = append(buffer, c)
			lastCCC = class
			continue
		}
		if lastCCC >= class { // blocked
			if class == 0 {
				out = append(out, *composee)
				out = append(out, buffer...)
				buffer = buffer[:0]
				cc := c
				composee = &cc
				lastCCC = -1
				continue
			}
			buffer = append(buffer, c)
			lastCCC = class
			continue
		}
		if r, ok := composePair(composee.r, c.r); ok {
			composee.r, composee.n = r, composee.n+c.n-1
			continue
		}
		buffer = append(buffer, c)
		lastCCC = class
	}
	if composee != nil {
		out = append(out, *composee)
	}
	return append(out, buffer...)
}

var composeCache sync.Map // [2]rune → rune (-1: no composition)

// composePair is the primary composite of a and b, if any (composition
// exclusions excluded), as NFC of the pair tells.
func composePair(a, b rune) (rune, bool) {
	if b < 0x300 || norm.NFC.PropertiesString(string(b)).BoundaryBefore() && !isHangulJamoVT(b) {
		return 0, false
	}
	key := [2]rune{a, b}
	if v, ok := composeCache.Load(key); ok {
		return v.(rune), v.(rune) >= 0
	}
	res := rune(-1)
	if unicode.Is(unicode9, a) && unicode.Is(unicode9, b) {
		if rs := []rune(norm.NFC.String(string([]rune{a, b}))); len(rs) == 1 && unicode.Is(unicode9, rs[0]) {
			res = rs[0]
		}
	}
	composeCache.Store(key, res)
	return res, res >= 0
}

func isHangulJamoVT(r rune) bool {
	return r >= jamoV && r < jamoV+jamoVCount || r > jamoT && r < jamoT+jamoTCount
}
