package tokenizer

import (
	"fmt"
	"strings"
)

// prependScheme is Metaspace's prepend_scheme: when a word gets the
// replacement character in front.
type prependScheme string

const (
	prependAlways prependScheme = "always" // every word (T5, mT5, SentencePieceUnigramTokenizer)
	prependFirst  prependScheme = "first"  // only text at the start of the sequence (Llama 3-style non-legacy)
	prependNever  prependScheme = "never"
)

func (s prependScheme) validate() error {
	switch s {
	case prependAlways, prependFirst, prependNever:
		return nil
	}
	return fmt.Errorf("prepend_scheme %q: want always, first or never", string(s))
}

// metaspace is HF's Metaspace pre-tokenizer and decoder
// (tokenizers/src/pre_tokenizers/metaspace.rs), SentencePiece's handling of
// spaces: ' ' becomes the replacement "▁", a "▁" is put in front of a word
// that lacks one, and with split each "▁" starts a new word.
type metaspace struct {
	replacement rune
	scheme      prependScheme
	split       bool
}

func (m metaspace) preTokenize(t normText, start int) []normText {
	if len(t.runes) == 0 {
		return nil
	}
	runes := make([]rune, len(t.runes))
	for i, r := range t.runes {
		if r == ' ' {
			r = m.replacement
		}
		runes[i] = r
	}
	t = normText{runes: runes, orig: t.orig}
	if runes[0] != m.replacement && (m.scheme == prependAlways || m.scheme == prependFirst && start == 0) {
		t = t.prepend([]rune{m.replacement})
	}
	if !m.split {
		return []normText{t}
	}
	// SplitDelimiterBehavior::MergedWithNext: every replacement starts a word.
	var words []normText
	from := 0
	for i := 1; i < len(t.runes); i++ {
		if t.runes[i] == m.replacement {
			words = append(words, t.slice(from, i))
			from = i
		}
	}
	return append(words, t.slice(from, len(t.runes)))
}

// decodeChain mirrors Metaspace's decode_chain: the replacement becomes a
// space, except in the first token, where it is dropped unless the scheme is
// never (HF drops every replacement of that token, not only the leading one).
func (m metaspace) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, tok := range tokens {
		if i == 0 && m.scheme != prependNever {
			out[i] = strings.ReplaceAll(tok, string(m.replacement), "")
		} else {
			out[i] = strings.ReplaceAll(tok, string(m.replacement), " ")
		}
	}
	return out
}
