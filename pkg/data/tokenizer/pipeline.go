package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// Pipeline is a tokenizer assembled from HF's stages, in HF's order: added
// tokens are cut out of the raw text, the rest is normalized, split into
// words, and each word is tokenized by the model; a template adds the special
// tokens. It is safe for concurrent use.
type Pipeline struct {
	added        []addedToken
	rawAdded     []addedToken // the added tokens matched in the raw text
	normAdded    []addedToken // those matched in the normalized text, content normalized
	splitSpecial bool         // split_special_tokens: special tokens are not matched
	normalizer   normalizer   // nil: the text is used as it is
	prefix       bool         // ByteLevel add_prefix_space: a segment gets a leading space
	split        preTokenizer
	model        wordModel
	template     *template // nil: no special tokens are added
	decoder      decoder
	cleanup      bool // transformers' clean_up_tokenization_spaces, applied after the decoder
	warnings     []string

	ids      map[string]int64 // model vocabulary and added tokens
	tokens   map[int64]string
	special  map[int64]bool // ids of special added tokens
	specials Specials
}

var _ Tokenizer = (*Pipeline)(nil)

// wordModel tokenizes one pre-tokenized word; piece ranges are runes of the word.
type wordModel interface {
	tokenize(word []rune) ([]piece, error)
}

// Encode implements Tokenizer. Text that is not valid UTF-8 is an error
// naming the first bad byte: HF's Python API never sees such text, and
// guessing a repair would make ids that no HF tokenizer produces.
func (p *Pipeline) Encode(text string, addSpecial bool) (Encoding, error) {
	seq, err := p.encodeSeq(text)
	if err != nil {
		return Encoding{}, err
	}
	return p.template.apply([]Encoding{seq}, addSpecial), nil
}

// EncodePair implements Tokenizer.
func (p *Pipeline) EncodePair(a, b string, addSpecial bool) (Encoding, error) {
	first, err := p.encodeSeq(a)
	if err != nil {
		return Encoding{}, fmt.Errorf("first text: %w", err)
	}
	second, err := p.encodeSeq(b)
	if err != nil {
		return Encoding{}, fmt.Errorf("second text: %w", err)
	}
	return p.template.apply([]Encoding{first, second}, addSpecial), nil
}

// encodeSeq tokenizes one text without special tokens; type ids are left for
// the template.
func (p *Pipeline) encodeSeq(text string) (Encoding, error) {
	if !utf8.ValidString(text) {
		return Encoding{}, fmt.Errorf("tokenize: text is not valid UTF-8 at byte %d", invalidUTF8At(text))
	}
	var enc Encoding
	runes := []rune(text)
	for _, seg := range splitAdded(runes, p.rawAdded) {
		if seg.id >= 0 {
			// The token is the text matched, with what lstrip and rstrip
			// took, as in HF's Encoding (offset trimming reads it).
			enc.IDs = append(enc.IDs, seg.id)
			enc.Offsets = append(enc.Offsets, [2]int{seg.start, seg.end})
			enc.Tokens = append(enc.Tokens, string(runes[seg.start:seg.end]))
			continue
		}
		t := newNormText(runes[seg.start:seg.end], seg.start)
		if p.normalizer != nil {
			t = p.normalizer.normalize(t)
		}
		if len(p.normAdded) == 0 {
			if err := p.encodeWords(t, seg.start, &enc); err != nil {
				return Encoding{}, err
			}
			continue
		}
		// HF's AddedVocabulary splits the normalized text again at the
		// normalized added tokens; offsets map back through the normalizer.
		for _, n := range splitAdded(t.runes, p.normAdded) {
			if n.id >= 0 {
				enc.IDs = append(enc.IDs, n.id)
				enc.Offsets = append(enc.Offsets, [2]int{t.orig[n.start], t.orig[n.end-1] + 1})
				enc.Tokens = append(enc.Tokens, string(t.runes[n.start:n.end]))
				continue
			}
			start := seg.start
			if n.start > 0 {
				start = t.orig[n.start]
			}
			if err := p.encodeWords(t.slice(n.start, n.end), start, &enc); err != nil {
				return Encoding{}, err
			}
		}
	}
	return enc, nil
}

// encodeWords splits normalized text between added tokens into words and
// tokenizes them; start is where the text begins in the sequence.
func (p *Pipeline) encodeWords(t normText, start int, enc *Encoding) error {
	if p.prefix && len(t.runes) > 0 && t.runes[0] != ' ' {
		t = normText{runes: append([]rune{' '}, t.runes...), orig: append([]int{t.orig[0]}, t.orig...)}
	}
	for _, w := range p.split.preTokenize(t, start) {
		pieces, err := p.model.tokenize(w.runes)
		if err != nil {
			return err
		}
		for _, pc := range pieces {
			enc.IDs = append(enc.IDs, pc.id)
			enc.Offsets = append(enc.Offsets, [2]int{w.orig[pc.start], w.orig[pc.end-1] + 1})
			enc.Tokens = append(enc.Tokens, p.tokens[pc.id])
		}
	}
	return nil
}

func invalidUTF8At(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return len(s)
}

// Decode implements Tokenizer, as HF's decode does: ids outside the
// vocabulary are skipped, special tokens too when skipSpecial is set, the
// decoder joins the tokens, and transformers' cleanup runs last when the
// tokenizer asks for it (BERT does, GPT-2 does not).
func (p *Pipeline) Decode(ids []int64, skipSpecial bool) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		tok, ok := p.tokens[id]
		if !ok || skipSpecial && p.special[id] {
			continue
		}
		tokens = append(tokens, tok)
	}
	text := p.decoder.decode(tokens)
	if p.cleanup {
		text = cleanupSpaces(text, true)
	}
	return text
}

// TokenToID implements Tokenizer.
func (p *Pipeline) TokenToID(tok string) (int64, bool) {
	id, ok := p.ids[tok]
	return id, ok
}

// IDToToken implements Tokenizer.
func (p *Pipeline) IDToToken(id int64) (string, bool) {
	tok, ok := p.tokens[id]
	return tok, ok
}

// Warnings returns what loading the tokenizer accepted but found suspect,
// such as a token repeated in vocab.txt, one message per problem naming
// the file and line. Commands print them; a library caller may ignore them.
func (p *Pipeline) Warnings() []string { return p.warnings }

// VocabSize implements Tokenizer: the model vocabulary plus added tokens not in it.
func (p *Pipeline) VocabSize() int { return len(p.tokens) }

// Special implements Tokenizer.
func (p *Pipeline) Special() Specials { return p.specials }
