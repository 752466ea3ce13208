package rlhf

import (
	"fmt"

	"github.com/gotrl/gotrl/pkg/data"
)

// pairBatch is two aligned batches: chosen and rejected responses for a
// reward model, encoder inputs and decoder targets for T5.
type pairBatch struct{ A, B data.Batch }

// pairLoader batches aligned example pairs in a Sampler's order, padding
// each side on its own.
type pairLoader struct {
	a, b     []data.Encoded
	sampler  *data.Sampler
	collator data.Collator
}

func newPairLoader(a, b []data.Encoded, s data.Sampler, c data.Collator) (*pairLoader, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("pair loader: %d and %d examples", len(a), len(b))
	}
	s.Lens = make([]int, len(a))
	for i := range a {
		s.Lens[i] = len(a[i].IDs) + len(b[i].IDs)
	}
	l := &pairLoader{a: a, b: b, sampler: &s, collator: c}
	if _, _, err := s.Next(data.Cursor{}); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *pairLoader) Batches() int { return l.sampler.Batches() }

func (l *pairLoader) Next(c data.Cursor) (pairBatch, data.Cursor, error) {
	idx, next, err := l.sampler.Next(c)
	if err != nil {
		return pairBatch{}, c, err
	}
	return l.collate(idx, c, next)
}

func (l *pairLoader) collate(idx []int, c, next data.Cursor) (pairBatch, data.Cursor, error) {
	ra, rb := make([]data.Encoded, len(idx)), make([]data.Encoded, len(idx))
	for i, j := range idx {
		ra[i], rb[i] = l.a[j], l.b[j]
	}
	a, err := l.collator.Collate(ra)
	if err != nil {
		return pairBatch{}, c, fmt.Errorf("batch %+v: %w", c, err)
	}
	b, err := l.collator.Collate(rb)
	if err != nil {
		return pairBatch{}, c, fmt.Errorf("batch %+v: %w", c, err)
	}
	return pairBatch{a, b}, next, nil
}

// pairBatches collates pairs into consecutive batches of n (evaluation).
func pairBatches(a, b []data.Encoded, n int, c data.Collator) ([]pairBatch, error) {
	var out []pairBatch
	for i := 0; i < len(a); i += n {
		ba, err := c.Collate(a[i:min(i+n, len(a))])
		if err != nil {
			return nil, err
		}
		bb, err := c.Collate(b[i:min(i+n, len(b))])
		if err != nil {
			return nil, err
		}
		out = append(out, pairBatch{ba, bb})
	}
	return out, nil
}

func pairTokens(p pairBatch) int { return tokens(p.A) + tokens(p.B) }
