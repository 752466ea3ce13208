package data

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// IgnoreIndex marks label positions the loss skips, as in PyTorch's
// CrossEntropyLoss(ignore_index=-100) and HF's DataCollatorForSeq2Seq.
const IgnoreIndex int64 = -100

// Truncation says which part of a (prompt, response) pair loses tokens when
// the pair is longer than Encoder.MaxLen; the names are HF's.
type Truncation int

const (
	LongestFirst Truncation = iota // drop the last token of the longer part, one at a time
	OnlyFirst                      // drop prompt tokens only
	OnlySecond                     // drop response tokens only
)

// ParseTruncation reads HF's names: longest_first, only_first, only_second.
func ParseTruncation(s string) (Truncation, error) {
	switch strings.ToLower(s) {
	case "", "longest_first":
		return LongestFirst, nil
	case "only_first":
		return OnlyFirst, nil
	case "only_second":
		return OnlySecond, nil
	}
	return 0, fmt.Errorf("unknown truncation %q (want longest_first, only_first or only_second)", s)
}

// Encoder tokenizes examples into ids, type ids and labels, unpadded.
//
// The template follows the vocabulary: with [CLS] and [SEP] (the book's
// Chinese GPT-2 and BERT share bert-base-chinese's vocabulary) a pair is
// [CLS] prompt [SEP] response [SEP] with type ids 0…0 1…1; without them
// (GPT-2's BPE) it is prompt response [EOS], all type 0, and EOS is left out
// when the vocabulary has none. A single text is the pair's first part:
// [CLS] text [SEP], or the bare text.
//
// Labels are aligned with the ids (HF causal LMs shift them inside the
// model). For a pair, the first part is IgnoreIndex unless LossOnAll, so only
// the response and its closing token are learned, as TRL's
// DataCollatorForCompletionOnlyLM does.
type Encoder struct {
	Tok        tokenizer.Tokenizer
	MaxLen     int // total tokens with specials; 0 = no limit
	MaxPrompt  int // cap on prompt tokens, applied before MaxLen; 0 = none
	MaxResp    int // cap on response tokens, applied before MaxLen; 0 = none
	Truncation Truncation
	LossOnAll  bool
}

// Encoded is one tokenized example before padding; all slices have one entry per token.
type Encoded struct {
	IDs, TypeIDs, Labels []int64
}

// Single encodes one text: a classification input, a pretraining text, or a
// generation prompt (whose first part ends where the response would start).
func (e *Encoder) Single(text string) (Encoded, error) {
	return e.encode(text, "", false)
}

// Pair encodes a prompt and its response.
func (e *Encoder) Pair(prompt, response string) (Encoded, error) {
	return e.encode(prompt, response, true)
}

func (e *Encoder) encode(a, b string, pair bool) (Encoded, error) {
	if e.Tok == nil {
		return Encoded{}, errors.New("encoder has no tokenizer")
	}
	ea, err := e.Tok.Encode(a, false)
	if err != nil {
		return Encoded{}, fmt.Errorf("encode prompt: %w", err)
	}
	var eb tokenizer.Encoding
	if pair {
		if eb, err = e.Tok.Encode(b, false); err != nil {
			return Encoded{}, fmt.Errorf("encode response: %w", err)
		}
	}
	return e.assemble(ea.IDs, eb.IDs, pair)
}

// SingleIDs is Single for text already tokenized by e.Tok (no specials).
func (e *Encoder) SingleIDs(ids []int64) (Encoded, error) { return e.assemble(ids, nil, false) }

// PairIDs is Pair for a prompt and response already tokenized by e.Tok
// (no specials): a reward model scores a policy's ids this way when both
// share a vocabulary.
func (e *Encoder) PairIDs(prompt, response []int64) (Encoded, error) {
	return e.assemble(prompt, response, true)
}

// assemble truncates the parts and adds the template's specials, type ids
// and labels.
func (e *Encoder) assemble(a, b []int64, pair bool) (Encoded, error) {
	if e.Tok == nil {
		return Encoded{}, errors.New("encoder has no tokenizer")
	}
	sp := e.Tok.Special()
	bert := sp.CLS >= 0 && sp.SEP >= 0
	var pre, mid, post []int64 // specials around the parts
	typeB := int64(1)          // the second part's type id
	switch {
	case bert:
		pre, mid, post = []int64{sp.CLS}, []int64{sp.SEP}, []int64{sp.SEP}
		if pair {
			mid, typeB = e.pairJoin(sp)
		}
	case sp.EOS >= 0:
		post = []int64{sp.EOS}
	}
	if !pair {
		post = nil
	}
	budget := -1 // no limit
	if e.MaxLen > 0 {
		budget = e.MaxLen - len(pre) - len(mid) - len(post)
		if budget < 0 {
			return Encoded{}, fmt.Errorf("max length %d is shorter than the template's %d special tokens", e.MaxLen, e.MaxLen-budget)
		}
	}
	strategy := e.Truncation
	if !pair {
		strategy = LongestFirst // a single text is the only part that can give tokens
	}
	ta, tb, err := truncatePair(capLen(a, e.MaxPrompt), capLen(b, e.MaxResp), budget, strategy)
	if err != nil {
		return Encoded{}, err
	}

	first := concat(pre, ta, mid)
	second := concat(tb, post)
	out := Encoded{IDs: concat(first, second)}
	out.TypeIDs = make([]int64, len(out.IDs))
	out.Labels = make([]int64, len(out.IDs))
	copy(out.Labels, out.IDs)
	if bert {
		for i := len(first); i < len(out.IDs); i++ {
			out.TypeIDs[i] = typeB
		}
	}
	if pair && !e.LossOnAll {
		for i := range first {
			out.Labels[i] = IgnoreIndex
		}
	}
	return out, nil
}

// pairJoin is what the tokenizer's pair template puts between the parts
// of [CLS] a … b [SEP], and the second part's type id: [SEP] and 1 for
// BERT, </s></s> and 0 for RoBERTa (RobertaProcessing), as HF's
// tokenizer(a, b) gives them. A template of another shape keeps BERT's.
func (e *Encoder) pairJoin(sp tokenizer.Specials) ([]int64, int64) {
	enc, err := e.Tok.EncodePair("", "", true)
	n := len(enc.IDs)
	if err != nil || n < 3 || len(enc.TypeIDs) != n || enc.IDs[0] != sp.CLS || enc.IDs[n-1] != sp.SEP {
		return []int64{sp.SEP}, 1
	}
	return enc.IDs[1 : n-1], enc.TypeIDs[n-1]
}

// truncatePair fits a and b into budget tokens (budget < 0: no limit) the
// way HF's truncate_sequences does; the tail of a part is dropped.
func truncatePair(a, b []int64, budget int, t Truncation) ([]int64, []int64, error) {
	if budget < 0 {
		return a, b, nil
	}
	over := len(a) + len(b) - budget
	if over <= 0 {
		return a, b, nil
	}
	switch t {
	case OnlyFirst:
		if over > len(a) {
			return nil, nil, fmt.Errorf("only_first truncation: response alone has %d tokens, over the %d left", len(b), budget)
		}
		return a[:len(a)-over], b, nil
	case OnlySecond:
		if over > len(b) {
			return nil, nil, fmt.Errorf("only_second truncation: prompt alone has %d tokens, over the %d left", len(a), budget)
		}
		return a, b[:len(b)-over], nil
	}
	la, lb := len(a), len(b)
	for ; over > 0; over-- { // longest_first: ties cut the second part, as HF does
		if la > lb {
			la--
		} else {
			lb--
		}
	}
	return a[:la], b[:lb], nil
}

// capLen cuts ids to at most n tokens; n <= 0 means no cap.
func capLen(ids []int64, n int) []int64 {
	if n > 0 && len(ids) > n {
		return ids[:n]
	}
	return ids
}

func concat(parts ...[]int64) []int64 {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	out := make([]int64, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
