package tokenizer

// templateItem is one element of HF's TemplateProcessing: a special token or
// the sequence A or B, with the type id its tokens get.
type templateItem struct {
	special  string // token of a special item; "" for a sequence
	id       int64  // id of a special item
	sequence int    // 0 for A, 1 for B (sequence items only)
	typeID   int64
}

// template is a post-processor. HF's BertProcessing and the template that
// BertTokenizerFast builds are both [CLS] $A [SEP] and [CLS] $A [SEP] $B:1 [SEP]:1.
type template struct {
	single, pair []templateItem
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

// apply assembles the final encoding from the encoded sequences (one or two).
// Without a template, or without addSpecial, sequences are concatenated and
// keep type ids 0 and 1, as HF's default post-processing does.
func (t *template) apply(seqs []Encoding, addSpecial bool) Encoding {
	var out Encoding
	if t == nil || !addSpecial {
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
		out.IDs = append(out.IDs, it.id)
		out.TypeIDs = append(out.TypeIDs, it.typeID)
		out.Offsets = append(out.Offsets, [2]int{0, 0})
		out.Tokens = append(out.Tokens, it.special)
	}
	return out
}

func (e *Encoding) appendSeq(s Encoding, typeID int64) {
	e.IDs = append(e.IDs, s.IDs...)
	e.Offsets = append(e.Offsets, s.Offsets...)
	e.Tokens = append(e.Tokens, s.Tokens...)
	for range s.IDs {
		e.TypeIDs = append(e.TypeIDs, typeID)
	}
}
