package bert

import (
	"context"
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
)

// Stepper adapts a UniLM MaskedLM (the book's chit-chat bot) to generate's
// loop. The prompt is the source, [CLS] source [SEP] as segment 0, left
// padded; every generated token is appended as segment 1 and predicted
// from the position before it. Under the UniLM mask the source is
// bidirectional and each target sees the source and earlier targets only,
// so earlier keys and values never change and a cache serves every step.
// Positions count real tokens (cumsum(mask) - 1), so a padded row decodes
// as it would alone.
func (m *MaskedLM) Stepper() generate.Stepper { return stepper{m} }

var (
	_ generate.Stepper  = stepper{}
	_ generate.Reserver = (*state)(nil)
)

type stepper struct{ m *MaskedLM }

type state struct {
	cache *Cache
	mask  [][]int64 // [N][S] every cached key: 1 token, 0 pad
	pos   []int64   // [N] the next token's position id
}

// Reorder keeps rows idx (beam search).
func (st *state) Reorder(idx []int64) error {
	k, _ := st.cache.Layers[0].Tensors()
	t, err := tensor.FromInt64s(idx, []int64{int64(len(idx))}, deviceOf(k))
	if err != nil {
		return err
	}
	defer tensor.Free(t)
	if err := st.cache.Reorder(t); err != nil {
		return err
	}
	mask, pos := make([][]int64, len(idx)), make([]int64, len(idx))
	for i, j := range idx {
		mask[i], pos[i] = append([]int64(nil), st.mask[j]...), st.pos[j]
	}
	st.mask, st.pos = mask, pos
	return nil
}

// Reserve makes the cache's room for tokens more positions.
func (st *state) Reserve(tokens int) { st.cache.Reserve(int64(tokens)) }

// Close frees the cache.
func (st *state) Close() { st.cache.Close() }

// Prepare runs the source rows ids/mask [N][S] and returns the logits of
// the first target token.
func (g stepper) Prepare(ctx context.Context, ids, mask [][]int64) (p generate.Prepared, err error) {
	st := &state{cache: g.m.Bert.NewCache(), pos: make([]int64, len(ids))}
	positions := make([][]int64, len(ids))
	for i, row := range mask {
		positions[i] = make([]int64, len(row))
		for j, on := range row {
			positions[i][j] = max(st.pos[i]-1+on, 0) // cumsum(mask) - 1, pads 0
			st.pos[i] += on
		}
		st.mask = append(st.mask, append([]int64(nil), row...))
	}
	p.Logits, err = g.run(st, ids, 0, positions)
	if err != nil {
		st.Close()
		return p, err
	}
	p.State, p.Prefix, p.PrefixMask = st, ids, mask
	return p, nil
}

// Step appends next [N] as segment 1 and returns the following token's
// logits [N, V].
func (g stepper) Step(_ context.Context, s generate.State, next []int64) (*tensor.Tensor, error) {
	st, ok := s.(*state)
	if !ok {
		return nil, fmt.Errorf("unilm step: state %T is not BERT's", s)
	}
	ids, positions := make([][]int64, len(next)), make([][]int64, len(next))
	for i, id := range next {
		ids[i], positions[i] = []int64{id}, []int64{st.pos[i]}
		st.mask[i] = append(st.mask[i], 1)
		st.pos[i]++
	}
	return g.run(st, ids, 1, positions)
}

// run feeds ids [N][T] of one segment at positions, attending to every
// cached key and itself, and returns the last position's logits [N, V].
func (g stepper) run(st *state, ids [][]int64, segment int64, positions [][]int64) (logits *tensor.Tensor, err error) {
	defer tensor.Recover(&err)
	s := tensor.NewScope()
	defer s.Close()
	dev := deviceOf(g.m.Bert.Embeddings.Word.Weight)
	types := make([][]int64, len(ids))
	for i, row := range ids {
		types[i] = make([]int64, len(row))
		for j := range row {
			types[i][j] = segment
		}
	}
	in := Input{
		IDs:         s.T(tensor.FromRows(ids, dev)),
		TypeIDs:     s.T(tensor.FromRows(types, dev)),
		PositionIDs: s.T(tensor.FromRows(positions, dev)),
		Mask:        s.T(tensor.FromRows(st.mask, dev)),
		Cache:       st.cache,
	}
	out, err := g.m.Bert.Forward(in, false)
	if err != nil {
		return nil, fmt.Errorf("unilm step: %w", err)
	}
	defer out.Close()
	last := s.T(out.Hidden.Select(1, tensor.Shape(out.Hidden)[1]-1, false)) // [N, C]
	return g.m.Head.Forward(last), nil                                      // [N, V]
}
