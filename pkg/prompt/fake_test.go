package prompt

import (
	"strings"
	"unicode"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// fakeTok is a tiny stand-in for the BERT and GPT-2 tokenizers: one token
// per CJK character or punctuation mark, whitespace-separated words for
// Latin text. Its vocabulary is [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4
// and then the tokens of the texts it was built from; anything else is
// [UNK].
type fakeTok struct {
	vocab   map[string]int64
	inv     []string
	decoder bool
}

var _ tokenizer.Tokenizer = (*fakeTok)(nil)

func newFakeTok(texts ...string) *fakeTok { return newFake(false, texts) }

// newFakeDecoder has no [CLS]/[SEP]/[MASK]/[PAD], like GPT-2, and keeps
// spaces in its tokens.
func newFakeDecoder(texts ...string) *fakeTok { return newFake(true, texts) }

func newFake(decoder bool, texts []string) *fakeTok {
	f := &fakeTok{vocab: map[string]int64{}, decoder: decoder}
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		f.add(s)
	}
	for _, t := range texts {
		for _, w := range split(t, decoder) {
			f.add(w.tok)
		}
	}
	return f
}

func (f *fakeTok) add(tok string) {
	if _, ok := f.vocab[tok]; !ok {
		f.vocab[tok] = int64(len(f.inv))
		f.inv = append(f.inv, tok)
	}
}

type fakePiece struct {
	tok        string
	start, end int // rune offsets
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || strings.ContainsRune("。，！？：；、（）“”", r)
}

// split cuts text into tokens. In BERT mode whitespace only separates
// tokens. In decoder mode it mimics GPT-2's byte-level BPE: a space before
// a token becomes part of it ("Ġword", with the offset covering the
// space) and any other space is a lone "Ġ" token.
func split(text string, decoder bool) []fakePiece {
	var out []fakePiece
	runes := []rune(text)
	word, space := -1, -1 // start of the current word; of a pending space
	flush := func(i int) {
		if word >= 0 {
			out = append(out, fakePiece{gpt(runes[word:i]), word, i})
			word = -1
		}
	}
	start := func(i int) int { // where a token starting at i begins, pending space included
		if space >= 0 {
			j := space
			space = -1
			return j
		}
		return i
	}
	for i, r := range runes {
		switch {
		case unicode.IsSpace(r):
			flush(i)
			if decoder && r == ' ' {
				if space >= 0 {
					out = append(out, fakePiece{"Ġ", space, space + 1})
				}
				space = i
			}
		case isCJK(r) || unicode.IsPunct(r):
			flush(i)
			j := start(i)
			out = append(out, fakePiece{gpt(runes[j : i+1]), j, i + 1})
		case word < 0:
			word = start(i)
		}
	}
	flush(len(runes))
	if space >= 0 {
		out = append(out, fakePiece{"Ġ", space, space + 1})
	}
	return out
}

// gpt writes a leading space as "Ġ", GPT-2's byte for it.
func gpt(r []rune) string { return strings.Replace(string(r), " ", "Ġ", 1) }

func (f *fakeTok) Encode(text string, addSpecial bool) (tokenizer.Encoding, error) {
	var e tokenizer.Encoding
	for _, p := range split(text, f.decoder) {
		id, ok := f.vocab[p.tok]
		if !ok {
			id = 1
		}
		e.IDs = append(e.IDs, id)
		e.Tokens = append(e.Tokens, f.inv[id])
		e.Offsets = append(e.Offsets, [2]int{p.start, p.end})
		e.TypeIDs = append(e.TypeIDs, 0)
	}
	return e, nil
}

func (f *fakeTok) EncodePair(a, b string, addSpecial bool) (tokenizer.Encoding, error) {
	ea, _ := f.Encode(a, false)
	eb, _ := f.Encode(b, false)
	ea.IDs = append(ea.IDs, eb.IDs...)
	ea.Tokens = append(ea.Tokens, eb.Tokens...)
	ea.Offsets = append(ea.Offsets, eb.Offsets...)
	for range eb.IDs {
		ea.TypeIDs = append(ea.TypeIDs, 1)
	}
	return ea, nil
}

func (f *fakeTok) Decode(ids []int64, skipSpecial bool) string {
	var b strings.Builder
	prevLatin := false
	for _, id := range ids {
		t := f.inv[id]
		if f.decoder {
			b.WriteString(strings.Replace(t, "Ġ", " ", 1))
			continue
		}
		latin := !isCJK([]rune(t)[0])
		if latin && prevLatin {
			b.WriteByte(' ')
		}
		b.WriteString(t)
		prevLatin = latin
	}
	return b.String()
}

func (f *fakeTok) TokenToID(tok string) (int64, bool) { id, ok := f.vocab[tok]; return id, ok }

func (f *fakeTok) IDToToken(id int64) (string, bool) {
	if id < 0 || int(id) >= len(f.inv) {
		return "", false
	}
	return f.inv[id], true
}

func (f *fakeTok) VocabSize() int { return len(f.inv) }

func (f *fakeTok) Special() tokenizer.Specials {
	if f.decoder {
		return tokenizer.Specials{PAD: -1, UNK: 1, CLS: -1, SEP: -1, MASK: -1, BOS: -1, EOS: -1}
	}
	return tokenizer.Specials{PAD: 0, UNK: 1, CLS: 2, SEP: 3, MASK: 4, BOS: -1, EOS: -1}
}
