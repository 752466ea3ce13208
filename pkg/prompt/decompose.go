package prompt

import (
	"context"
	"fmt"
	"maps"
	"sort"
)

// Span is a candidate answer inside a text, [Start, End) in runes.
type Span struct {
	Start, End int
	Text       string
}

// SpanResult is the classification of one candidate span.
type SpanResult struct {
	Span
	Label int // index into the verbalizer's labels
	Prob  float64
}

// Spans lists every span of 1..maxWidth runes of text, by start then
// width: the candidates of template-based NER (Cui et al. 2021).
func Spans(text string, maxWidth int) []Span {
	r := []rune(text)
	var out []Span
	for i := range r {
		for w := 1; w <= maxWidth && i+w <= len(r); w++ {
			out = append(out, Span{Start: i, End: i + w, Text: string(r[i : i+w])})
		}
	}
	return out
}

// Decompose asks one sub-question per candidate span: example with
// field set to the span's text (e.g. "{text_a}中，{span}是一个{mask}实体。"),
// classified by p. The answers are merged by MergeSpans with null as the
// "not an answer" label.
func Decompose(ctx context.Context, s Scorer, p *Prompt, example map[string]string, field string, spans []Span, null string) ([]SpanResult, error) {
	nullIdx := p.Verbalizer.Index(null)
	if nullIdx < 0 {
		return nil, fmt.Errorf("decompose: null label %q is not one of %v", null, p.Verbalizer.Labels)
	}
	results := make([]SpanResult, 0, len(spans))
	for _, sp := range spans {
		sub := maps.Clone(example)
		if sub == nil {
			sub = map[string]string{}
		}
		sub[field] = sp.Text
		pred, err := p.Classify(ctx, s, sub)
		if err != nil {
			return nil, fmt.Errorf("decompose: span [%d,%d) %q: %w", sp.Start, sp.End, sp.Text, err)
		}
		results = append(results, SpanResult{Span: sp, Label: pred.Label, Prob: pred.Probs[pred.Label]})
	}
	return MergeSpans(results, nullIdx), nil
}

// MergeSpans drops results labelled null, then keeps spans greedily by
// descending probability (ties: earlier start, then shorter span), skipping
// any that overlaps a span already kept. The survivors come back sorted by
// start.
func MergeSpans(results []SpanResult, null int) []SpanResult {
	var cand []SpanResult
	for _, r := range results {
		if r.Label != null {
			cand = append(cand, r)
		}
	}
	sort.SliceStable(cand, func(i, j int) bool {
		a, b := cand[i], cand[j]
		if a.Prob != b.Prob {
			return a.Prob > b.Prob
		}
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		return a.End < b.End
	})
	var kept []SpanResult
	for _, c := range cand {
		overlaps := false
		for _, k := range kept {
			if c.Start < k.End && k.Start < c.End {
				overlaps = true
				break
			}
		}
		if !overlaps {
			kept = append(kept, c)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	return kept
}
