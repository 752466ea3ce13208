package prompt

import (
	"fmt"
	"strings"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// Rendered is a template filled with one example and tokenized: what a
// model runner feeds to the model.
type Rendered struct {
	IDs     []int64
	TypeIDs []int64 // 0 before {sep}, 1 from it on
	// Masks holds the token positions of each {mask} slot in template
	// order; {mask:N} has N positions. For a cloze template they index
	// [MASK] tokens in IDs. For a prefix template they lie just past IDs
	// (len(IDs), len(IDs)+1, ...): the runner appends the label-word tokens
	// there, and maxLen already reserved room for them.
	Masks [][]int
	// SoftPositions[i] is where soft token i sits. Those positions carry
	// the PAD id (0 without one); the runner swaps in the learned embeddings
	// (P-tuning's prompt encoder output).
	SoftPositions []int
	// Text is the prompt as the model sees it: literal text, the (possibly
	// truncated) field text, special tokens as their strings, soft tokens as
	// [P0], [P1], ... . A prefix template's trailing mask is not shown.
	Text string
	// Truncated is the number of tokens dropped from shortenable fields.
	Truncated int
}

// MaskPositions returns the positions of all mask tokens, slot after slot.
func (r *Rendered) MaskPositions() []int {
	var all []int
	for _, m := range r.Masks {
		all = append(all, m...)
	}
	return all
}

// segment is one tokenized part of a template.
type segment struct {
	kind    PartKind
	ids     []int64
	reserve int      // positions kept free past the ids (prefix mask)
	trunc   Trunc    // for fields marked |trunc
	value   []rune   // field text, for display after truncation
	offsets [][2]int // rune offsets of ids into value
	display string   // fixed display text (literals, specials)
	orig    int      // field length in tokens before truncation
	head    int      // tokens dropped from the start (TruncHead)
}

// Render fills the template with example's fields, tokenizes every part
// separately (as OpenPrompt does, so a field never merges with the
// template's text into one token) and truncates the shortenable fields so
// the prompt fits maxLen tokens (maxLen <= 0: no limit). Cloze templates
// are wrapped in [CLS] ... [SEP] when the tokenizer has them; prefix
// templates get no special tokens, like HF's GPT-2 tokenizer.
//
// When several fields are shortenable, tokens go one at a time from the
// currently longest (HF's "longest_first"; on a tie, from the later one).
//
// Spaces ending a literal move to the start of the field that follows, so
// a byte-level BPE (GPT-2) sees " word" and emits the "Ġword" token it
// would emit for the whole string, not a lone "Ġ" then "word".
func (t *Template) Render(example map[string]string, tok tokenizer.Tokenizer, maxLen int) (*Rendered, error) {
	body, err := t.partSegments(t.Parts, example, tok)
	if err != nil {
		return nil, err
	}
	return t.fit(t.wrap(body, tok), tok, maxLen)
}

// fit truncates segs to maxLen and assembles them.
func (t *Template) fit(segs []segment, tok tokenizer.Tokenizer, maxLen int) (*Rendered, error) {
	total, short := need(segs)
	dropped := 0
	if maxLen > 0 && total > maxLen {
		if short == 0 {
			return nil, fmt.Errorf("%s: prompt needs %d tokens, max length is %d, and no field is marked |trunc", t.Name, total, maxLen)
		}
		if total-short > maxLen {
			return nil, fmt.Errorf("%s: template needs %d tokens without its shortenable fields, max length is %d", t.Name, total-short, maxLen)
		}
		dropped = total - maxLen
		truncate(segs, dropped)
	}
	r := assemble(segs, tok)
	r.Truncated = dropped
	return r, nil
}

// need returns the prompt length in tokens and how many of them belong to
// shortenable fields.
func need(segs []segment) (total, short int) {
	for _, s := range segs {
		total += len(s.ids) + s.reserve
		if s.trunc != NoTrunc {
			short += len(s.ids)
		}
	}
	return total, short
}

// wrap puts a cloze prompt's body between [CLS] and [SEP] (those the
// tokenizer has); a prefix prompt's body stays as it is.
func (t *Template) wrap(body []segment, tok tokenizer.Tokenizer) []segment {
	sp := tok.Special()
	if t.Kind != Cloze {
		return body
	}
	segs := make([]segment, 0, len(body)+2)
	if sp.CLS >= 0 {
		segs = append(segs, special(tok, sp.CLS))
	}
	segs = append(segs, body...)
	if sp.SEP >= 0 {
		segs = append(segs, special(tok, sp.SEP))
	}
	return segs
}

func special(tok tokenizer.Tokenizer, id int64) segment {
	s, _ := tok.IDToToken(id)
	return segment{kind: Text, ids: []int64{id}, display: s}
}

// partSegments tokenizes parts, filling fields from example. Only a
// literal directly before a field interacts with its neighbour (its
// trailing spaces move into the field), so a run of parts can be
// tokenized on its own and joined to others.
func (t *Template) partSegments(parts []Part, example map[string]string, tok tokenizer.Tokenizer) ([]segment, error) {
	sp := tok.Special()
	var segs []segment
	carry := "" // spaces moved from a literal to the field after it
	for i, p := range parts {
		var s segment
		switch p.Kind {
		case Text:
			text := p.Text
			if i+1 < len(parts) && parts[i+1].Kind == Field {
				text = strings.TrimRight(text, " ")
				carry = p.Text[len(text):]
			}
			enc, err := tok.Encode(text, false)
			if err != nil {
				return nil, fmt.Errorf("%s:%v: encode text %q: %w", t.Name, p.Pos, text, err)
			}
			s = segment{ids: enc.IDs, display: text}
		case Field:
			v, ok := example[p.Name]
			if !ok {
				return nil, fmt.Errorf("%s: example has no field %q", t.Name, p.Name)
			}
			v, carry = carry+v, ""
			enc, err := tok.Encode(v, false)
			if err != nil {
				return nil, fmt.Errorf("%s: encode field %q: %w", t.Name, p.Name, err)
			}
			s = segment{ids: enc.IDs, trunc: p.Trunc, value: []rune(v), offsets: enc.Offsets, orig: len(enc.IDs)}
		case Mask:
			if t.Kind == Prefix {
				s = segment{reserve: p.Count}
				break
			}
			if sp.MASK < 0 {
				return nil, fmt.Errorf("%s:%v: cloze template needs a [MASK] token, the tokenizer has none", t.Name, p.Pos)
			}
			s = repeat(tok, sp.MASK, p.Count)
		case Soft:
			s = repeat(tok, max(sp.PAD, 0), p.Count)
		case Sep:
			if sp.SEP < 0 {
				return nil, fmt.Errorf("%s:%v: {sep} needs a separator token, the tokenizer has none", t.Name, p.Pos)
			}
			s = special(tok, sp.SEP)
		}
		s.kind = p.Kind
		segs = append(segs, s)
	}
	return segs, nil
}

func repeat(tok tokenizer.Tokenizer, id int64, n int) segment {
	s := segment{ids: make([]int64, n)}
	for i := range s.ids {
		s.ids[i] = id
	}
	s.display, _ = tok.IDToToken(id)
	return s
}

// truncate drops n tokens from the shortenable segments, longest first.
func truncate(segs []segment, n int) {
	for ; n > 0; n-- {
		longest := -1
		for i, s := range segs {
			if s.trunc != NoTrunc && len(s.ids) > 0 && (longest < 0 || len(s.ids) >= len(segs[longest].ids)) {
				longest = i
			}
		}
		s := &segs[longest] // callers guarantee enough shortenable tokens
		if s.trunc == TruncHead {
			s.ids = s.ids[1:]
			s.head++
		} else {
			s.ids = s.ids[:len(s.ids)-1]
		}
	}
}

func assemble(segs []segment, tok tokenizer.Tokenizer) *Rendered {
	r := &Rendered{}
	var text strings.Builder
	typeID := int64(0)
	for _, s := range segs {
		start := len(r.IDs)
		switch s.kind {
		case Mask:
			slot := make([]int, len(s.ids)+s.reserve)
			for i := range slot {
				slot[i] = start + i
			}
			r.Masks = append(r.Masks, slot)
			text.WriteString(strings.Repeat(s.display, len(s.ids)))
		case Soft:
			for i := range s.ids {
				fmt.Fprintf(&text, "[P%d]", len(r.SoftPositions))
				r.SoftPositions = append(r.SoftPositions, start+i)
			}
		case Field:
			text.WriteString(s.fieldText(tok))
		default:
			text.WriteString(s.display)
		}
		r.IDs = append(r.IDs, s.ids...)
		for range s.ids {
			r.TypeIDs = append(r.TypeIDs, typeID)
		}
		if s.kind == Sep {
			typeID = 1 // {sep} closes segment A, as BERT's first [SEP] does
		}
	}
	r.Text = text.String()
	return r
}

// fieldText is the part of the field's text that survived truncation,
// cut from the original text by the tokenizer's rune offsets so spacing
// and case are preserved; without usable offsets it decodes the ids.
func (s segment) fieldText(tok tokenizer.Tokenizer) string {
	if len(s.offsets) != s.orig {
		return tok.Decode(s.ids, false)
	}
	if len(s.ids) == 0 {
		return ""
	}
	from, to := s.offsets[s.head][0], s.offsets[s.head+len(s.ids)-1][1]
	if s.head == 0 {
		from = 0
	}
	if s.droppedTail() == 0 {
		to = len(s.value)
	}
	if from < 0 || to > len(s.value) || from > to {
		return tok.Decode(s.ids, false)
	}
	return string(s.value[from:to])
}

func (s segment) droppedTail() int { return s.orig - len(s.ids) - s.head }
