package data

import "fmt"

// Loader yields padded batches in a Sampler's order: the piece a training
// loop calls once per step, like a PyTorch DataLoader over a fixed,
// pre-tokenized set.
type Loader struct {
	data     []Encoded
	sampler  *Sampler
	collator Collator
}

// NewLoader sets the sampler's lengths from data and returns the loader.
func NewLoader(data []Encoded, s Sampler, c Collator) (*Loader, error) {
	s.Lens = make([]int, len(data))
	for i, x := range data {
		s.Lens[i] = len(x.IDs)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &Loader{data: data, sampler: &s, collator: c}, nil
}

// Batches returns the number of batches per epoch.
func (l *Loader) Batches() int { return l.sampler.Batches() }

// Next returns the batch at c and the cursor after it.
func (l *Loader) Next(c Cursor) (Batch, Cursor, error) {
	idx, next, err := l.sampler.Next(c)
	if err != nil {
		return Batch{}, c, err
	}
	rows := make([]Encoded, len(idx))
	for i, j := range idx {
		rows[i] = l.data[j]
	}
	b, err := l.collator.Collate(rows)
	if err != nil {
		return Batch{}, c, fmt.Errorf("batch %+v: %w", c, err)
	}
	return b, next, nil
}

// EncodePairs encodes SFT examples with Encoder.Pair; an error names the example.
func (e *Encoder) EncodePairs(exs []Example) ([]Encoded, error) {
	return encodeEach(exs, func(x Example) (Encoded, error) { return e.Pair(x.Prompt, x.Response) })
}

// EncodePrompts encodes the prompts of examples with Encoder.Single, for
// generation (pad them on the left).
func (e *Encoder) EncodePrompts(exs []Example) ([]Encoded, error) {
	return encodeEach(exs, func(x Example) (Encoded, error) { return e.Single(x.Prompt) })
}

func encodeEach(exs []Example, f func(Example) (Encoded, error)) ([]Encoded, error) {
	out := make([]Encoded, len(exs))
	for i, x := range exs {
		var err error
		if out[i], err = f(x); err != nil {
			return nil, fmt.Errorf("example %d (group %q): %w", i, x.Group, err)
		}
	}
	return out, nil
}
