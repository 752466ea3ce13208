package data

import (
	"strings"
	"unicode"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// fakeTok is a tokenizer with one token per non-space rune, like
// bert-base-chinese on Chinese text, so expected ids can be written by hand:
// the ids of the runes of fakeVocab start at 10. With gpt set it has no
// [CLS]/[SEP]/[PAD], only an end-of-text token, like GPT-2.
type fakeTok struct{ gpt bool }

const fakeVocab = "abcdefgh我爱北京天安门你好吗"

const (
	fPAD, fUNK, fCLS, fSEP, fEOS int64 = 0, 1, 2, 3, 4
)

var _ tokenizer.Tokenizer = fakeTok{}

// fid is the id of a vocabulary rune.
func fid(r rune) int64 {
	i := strings.IndexRune(fakeVocab, r)
	if i < 0 {
		return fUNK
	}
	return 10 + int64(len([]rune(fakeVocab[:i])))
}

// fids is the ids of a string's runes.
func fids(s string) []int64 {
	var out []int64
	for _, r := range s {
		out = append(out, fid(r))
	}
	return out
}

func (t fakeTok) Encode(text string, addSpecial bool) (tokenizer.Encoding, error) {
	var e tokenizer.Encoding
	if addSpecial && !t.gpt {
		e.IDs = append(e.IDs, fCLS)
	}
	for _, r := range text {
		if !unicode.IsSpace(r) {
			e.IDs = append(e.IDs, fid(r))
		}
	}
	if addSpecial && !t.gpt {
		e.IDs = append(e.IDs, fSEP)
	}
	e.TypeIDs = make([]int64, len(e.IDs))
	return e, nil
}

func (t fakeTok) EncodePair(a, b string, addSpecial bool) (tokenizer.Encoding, error) {
	ea, _ := t.Encode(a, addSpecial)
	eb, _ := t.Encode(b, false)
	ea.IDs = append(ea.IDs, eb.IDs...)
	ea.TypeIDs = append(ea.TypeIDs, make([]int64, len(eb.IDs))...)
	return ea, nil
}

func (t fakeTok) Decode(ids []int64, skipSpecial bool) string {
	var b strings.Builder
	for _, id := range ids {
		if s, ok := t.IDToToken(id); ok && !(skipSpecial && strings.HasPrefix(s, "[")) {
			b.WriteString(s)
		}
	}
	return b.String()
}

func (t fakeTok) TokenToID(tok string) (int64, bool) {
	for id := range int64(t.VocabSize()) {
		if s, ok := t.IDToToken(id); ok && s == tok {
			return id, true
		}
	}
	return 0, false
}

func (t fakeTok) IDToToken(id int64) (string, bool) {
	specials := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[EOS]"}
	rs := []rune(fakeVocab)
	switch {
	case id >= 0 && id < int64(len(specials)):
		return specials[id], true
	case id >= 10 && id < 10+int64(len(rs)):
		return string(rs[id-10]), true
	}
	return "", false
}

func (t fakeTok) VocabSize() int { return 10 + len([]rune(fakeVocab)) }

func (t fakeTok) Special() tokenizer.Specials {
	if t.gpt {
		return tokenizer.Specials{PAD: -1, UNK: -1, CLS: -1, SEP: -1, MASK: -1, BOS: fEOS, EOS: fEOS}
	}
	return tokenizer.Specials{PAD: fPAD, UNK: fUNK, CLS: fCLS, SEP: fSEP, MASK: -1, BOS: -1, EOS: -1}
}
