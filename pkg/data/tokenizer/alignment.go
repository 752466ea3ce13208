package tokenizer

// change is one rune of the list HF's NormalizedString::transform takes
// (tokenizers/src/tokenizer/normalizer.rs): n > 0 marks an inserted rune,
// 0 a rune that replaces the next input rune, and -n one that replaces it and
// removes the n input runes after it.
type change struct {
	r rune
	n int
}

// transform applies changes to t as transform_range does over the whole
// text, skipping `removed` input runes first. A replacing rune keeps the
// origin of the input rune it replaces; an inserted rune shares the origin of
// the input rune before it. HF gives a rune inserted before the first input
// rune the empty alignment (0, 0); here it takes the first rune's origin,
// which is the same offset unless a stage removed that rune.
func (t normText) transform(changes []change, removed int) normText {
	out := normText{runes: make([]rune, 0, len(changes)), orig: make([]int, 0, len(changes))}
	at := removed // index of the next input rune
	for _, c := range changes {
		var o int
		switch {
		case c.n > 0 && at >= 1 && at-1 < len(t.orig):
			o = t.orig[at-1]
		case c.n > 0 && len(t.orig) > 0:
			o = t.orig[0]
		case c.n <= 0 && at < len(t.orig):
			o = t.orig[at]
			at += 1 - c.n
		case len(t.orig) > 0: // more replacing runes than input runes: HF indexes out of range
			o = t.orig[len(t.orig)-1]
		}
		out.runes = append(out.runes, c.r)
		out.orig = append(out.orig, o)
	}
	return out
}

// slice is runes [i, j) of t with their origins (HF's NormalizedString::slice).
func (t normText) slice(i, j int) normText {
	return normText{runes: t.runes[i:j:j], orig: t.orig[i:j:j]}
}

// filter keeps the runes keep accepts, each with its own origin, as
// NormalizedString::filter does.
func (t normText) filter(keep func(rune) bool) normText {
	out := normText{runes: make([]rune, 0, len(t.runes)), orig: make([]int, 0, len(t.orig))}
	for i, r := range t.runes {
		if keep(r) {
			out.runes = append(out.runes, r)
			out.orig = append(out.orig, t.orig[i])
		}
	}
	return out
}

// prepend puts s before the text; every rune of s takes the origin of the
// first rune (NormalizedString::prepend). Empty text stays empty.
func (t normText) prepend(s []rune) normText {
	if len(t.runes) == 0 {
		return t
	}
	out := normText{runes: make([]rune, 0, len(s)+len(t.runes)), orig: make([]int, 0, len(s)+len(t.runes))}
	out.runes = append(append(out.runes, s...), t.runes...)
	for range s {
		out.orig = append(out.orig, t.orig[0])
	}
	out.orig = append(out.orig, t.orig...)
	return out
}
