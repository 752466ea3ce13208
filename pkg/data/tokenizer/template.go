package tokenizer

import "unicode"

// templateItem is one element of HF's TemplateProcessing: a special token or
// the sequence A or B, with the type id its tokens get.
type templateItem struct {
	special  string // token of a special item; "" for a sequence
	id       int64  // id of a special item; -1 until the loader resolves special
	sequence int    // 0 for A, 1 for B (sequence items only)
	typeID   int64
}

// template is the post-processor. HF's BertProcessing and the template that
// BertTokenizerFast builds are both [CLS] $A [SEP] and [CLS] $A [SEP] $B:1
// [SEP]:1; RobertaProcessing is <s> $A </s> and <s> $A </s> </s> $B </s>,
// every type id 0. A template without items is HF's ByteLevel
// post-processor: it adds nothing and only trims offsets.
type template struct {
	single, pair []templateItem
	// trim is the ByteLevel / RobertaProcessing trim_offsets: a token's
	// offsets leave out the spaces it starts or ends with. trimPrefix is
	// their add_prefix_space, which keeps the one space the pre-tokenizer
	// added in front of the first token.
	trim, trimPrefix bool
}

func bertTemplate(cls, sep string, clsID, sepID int64) *template {
	c := templateItem{special: cls, id: clsID}
	s := templateItem{special: sep, id: sepID}
	s1 := s
	s1.typeID = 1
	return &template{
		single: []templateItem{c, {sequence: 0}, s},
		pair:   []templateItem{c, {sequence: 0}, s, {sequence: 1, typeID: 1}, s1},
	}
}

func robertaTemplate(cls, sep string, clsID, sepID int64, trim, trimPrefix bool) *template {
	c := templateItem{special: cls, id: clsID}
	s := templateItem{special: sep, id: sepID}
	return &template{
		single: []templateItem{c, {sequence: 0}, s},
		pair:   []templateItem{c, {sequence: 0}, s, s, {sequence: 1}, s},
		trim:   trim, trimPrefix: trimPrefix,
	}
}

// apply assembles the final encoding from the encoded sequences (one or two).
// Without a template, or one without items, sequences are concatenated with
// type ids 0 and 1, as HF's default post-processing does. Without addSpecial
// a template still gives its type ids, as HF's TemplateProcessing and
// RobertaProcessing do (BertProcessing's are 0 and 1 anyway).
func (t *template) apply(seqs []Encoding, addSpecial bool) Encoding {
	var out Encoding
	if t != nil && t.trim {
		for i := range seqs {
			seqs[i] = trimOffsets(seqs[i], t.trimPrefix)
		}
	}
	if t == nil || t.single == nil {
		for i, s := range seqs {
			out.appendSeq(s, int64(i))
		}
		return out
	}
	items := t.single
	if len(seqs) == 2 {
		items = t.pair
	}
	for _, it := range items {
		if it.special == "" {
			out.appendSeq(seqs[it.sequence], it.typeID)
			continue
		}
		if !addSpecial {
			continue
		}
		out.IDs = append(out.IDs, it.id)
		out.TypeIDs = append(out.TypeIDs, it.typeID)
		out.Offsets = append(out.Offsets, [2]int{0, 0})
		out.Tokens = append(out.Tokens, it.special)
	}
	return out
}

// trimOffsets is process_offsets of HF's byte_level.rs: the leading and
// trailing spaces of a token ('Ġ', or whitespace) move its start right and
// its end left, never past each other. The first token keeps a single
// leading space when prefixSpace says the pre-tokenizer added it.
func trimOffsets(e Encoding, prefixSpace bool) Encoding {
	isSpace := func(r rune) bool { return r == 'Ġ' || unicode.IsSpace(r) }
	offsets := make([][2]int, len(e.Offsets))
	copy(offsets, e.Offsets)
	for i, tok := range e.Tokens {
		rs := []rune(tok)
		lead := 0
		for lead < len(rs) && isSpace(rs[lead]) {
			lead++
		}
		trail := 0
		for trail < len(rs) && isSpace(rs[len(rs)-1-trail]) {
			trail++
		}
		o := &offsets[i]
		if lead > 0 {
			if (i == 0 || o[0] == 0) && prefixSpace && lead == 1 {
				lead = 0
			}
			o[0] = min(o[0]+lead, o[1])
		}
		if trail > 0 && o[1] >= trail {
			o[1] = max(o[1]-trail, o[0])
		}
	}
	e.Offsets = offsets
	return e
}

func (e *Encoding) appendSeq(s Encoding, typeID int64) {
	e.IDs = append(e.IDs, s.IDs...)
	e.Offsets = append(e.Offsets, s.Offsets...)
	e.Tokens = append(e.Tokens, s.Tokens...)
	for range s.IDs {
		e.TypeIDs = append(e.TypeIDs, typeID)
	}
}
