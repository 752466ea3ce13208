package tokenizer

import "unicode"

// preTokenizer splits normalized text into the words the model sees, as HF's
// PreTokenizer splits a PreTokenizedString. start is the offset where t
// begins in the sequence (HF's offsets_original().0), which Metaspace's
// "first" scheme reads. Empty words are dropped, as HF drops them.
type preTokenizer interface {
	preTokenize(t normText, start int) []normText
}

// spanSplit adapts a splitter that only cuts text into rune ranges (BERT's,
// GPT-2's).
type spanSplit func([]rune) []span

func (f spanSplit) preTokenize(t normText, _ int) []normText {
	spans := f(t.runes)
	words := make([]normText, len(spans))
	for i, w := range spans {
		words[i] = t.slice(w[0], w[1])
	}
	return words
}

// wholeText is a null pre_tokenizer: the text is one word.
type wholeText struct{}

func (wholeText) preTokenize(t normText, _ int) []normText {
	if len(t.runes) == 0 {
		return nil
	}
	return []normText{t}
}

// whitespaceSplit is HF's WhitespaceSplit: whitespace separates words and is dropped.
type whitespaceSplit struct{}

func (whitespaceSplit) preTokenize(t normText, _ int) []normText {
	var words []normText
	start := -1
	for i, r := range t.runes {
		switch {
		case unicode.IsSpace(r) && start >= 0:
			words = append(words, t.slice(start, i))
			start = -1
		case !unicode.IsSpace(r) && start < 0:
			start = i
		}
	}
	if start >= 0 {
		words = append(words, t.slice(start, len(t.runes)))
	}
	return words
}

// preTokenizerSeq is HF's pre_tokenizers.Sequence: each stage splits every
// word of the one before. A word's start is the origin of its first rune,
// as NormalizedString::slice shifts offsets_original.
type preTokenizerSeq []preTokenizer

func (s preTokenizerSeq) preTokenize(t normText, start int) []normText {
	words := []normText{t}
	starts := []int{start}
	for i, stage := range s {
		var next []normText
		for k, w := range words {
			if i > 0 && len(w.orig) > 0 {
				starts[k] = w.orig[0]
			}
			next = append(next, stage.preTokenize(w, starts[k])...)
		}
		words = next
		starts = make([]int, len(words))
	}
	return words
}
