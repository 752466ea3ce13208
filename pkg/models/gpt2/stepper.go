package gpt2

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/heads"
)

// Stepper adapts m to the generation loop (HF's GPT-2
// prepare_inputs_for_generation): the prompt runs once, then one token per
// row per step through the key/value cache. Left-padded rows get HF's
// position ids, cumsum(mask)-1 with padded slots set to 1.
func (m *Model) Stepper() generate.Stepper { return stepper{m: m} }

// UncachedStepper recomputes the whole sequence at every step (HF's
// use_cache=False): the reference the cache is measured against.
func (m *Model) UncachedStepper() generate.Stepper { return stepper{m: m, noCache: true} }

var (
	_ generate.GreedyStepper = stepper{}
	_ generate.Reserver      = (*state)(nil)
)

type stepper struct {
	m       *Model
	noCache bool
}

// state is GPT-2's decoding state.
type state struct {
	cache  *Cache         // nil without cache
	mask   *tensor.Tensor // [N, S] attention mask; nil when no row is padded
	next   []int64        // position id of each row's next token
	ids    [][]int64      // the rows so far, kept only without cache
	dev    gotch.Device
	greedy heads.Greedy // StepGreedy's choices
}

func (s stepper) Prepare(ctx context.Context, ids, mask [][]int64) (p generate.Prepared, err error) {
	defer tensor.Recover(&err)
	dev, err := s.m.WTE.Weight.Device()
	if err != nil {
		return p, err
	}
	sc := tensor.NewScope()
	defer sc.Close()
	pos, next, padded := positions(mask)
	st := &state{next: next, dev: dev}
	if s.noCache {
		st.ids = cloneRows(ids)
	} else {
		st.cache = NewCache(s.m.Config)
	}
	var posT *tensor.Tensor
	if padded {
		st.mask = sc.Keep(sc.T(tensor.FromRows(mask, dev)))
		posT = sc.T(tensor.FromRows(pos, dev))
	}
	logits, err := s.forward(st, sc.T(tensor.FromRows(ids, dev)), posT)
	if err != nil {
		st.Close()
		return p, err
	}
	return generate.Prepared{State: st, Logits: logits, Prefix: ids, PrefixMask: mask}, nil
}

// positions is HF's position_ids for a left-padded batch: cumsum(mask)-1,
// padded slots set to 1; next is each row's next position.
func positions(mask [][]int64) (pos [][]int64, next []int64, padded bool) {
	pos, next = make([][]int64, len(mask)), make([]int64, len(mask))
	for i, row := range mask {
		pos[i] = make([]int64, len(row))
		for j, on := range row {
			if on == 0 {
				padded, pos[i][j] = true, 1
				continue
			}
			pos[i][j] = next[i]
			next[i]++
		}
	}
	return pos, next, padded
}

func (s stepper) Step(ctx context.Context, gs generate.State, next []int64) (logits *tensor.Tensor, err error) {
	defer tensor.Recover(&err)
	_, last, err := s.advance(gs, next)
	if err != nil {
		return nil, err
	}
	defer tensor.Free(last)
	return s.m.LM.Forward(last), nil
}

// StepGreedy is Step choosing each row's largest logit through the LM
// head's screen (heads.Greedy): the ids Step's logits would give, without
// reading all of the head's weight. The screen is made at the first call
// from the head's weights as they are then, and freed with the state;
// where it does not serve, the logits come back.
func (s stepper) StepGreedy(ctx context.Context, gs generate.State, next []int64) (ids []int64, logits *tensor.Tensor, err error) {
	st, last, err := s.advance(gs, next)
	if err != nil {
		return nil, nil, err
	}
	defer tensor.Free(last)
	ids, logits, err = st.greedy.Next(s.m.LM, last)
	if ids != nil {
		screenedSteps.Add(1)
	}
	return ids, logits, err
}

// screenedSteps counts the steps whose tokens the screen chose, so that
// tests can tell them from steps through the logits.
var screenedSteps atomic.Int64

// advance feeds next [N] and returns the state and the last block's
// output at the new position, [N, C], before the LM head.
func (s stepper) advance(gs generate.State, next []int64) (st *state, last *tensor.Tensor, err error) {
	defer tensor.Recover(&err)
	st, ok := gs.(*state)
	if !ok {
		return nil, nil, fmt.Errorf("gpt2 step: state %T is not GPT-2's", gs)
	}
	sc := tensor.NewScope()
	defer sc.Close()
	n := int64(len(next))
	if st.mask != nil {
		ones := sc.T(ts.Ones([]int64{n, 1}, gotch.Int64, st.dev))
		old := sc.Add(st.mask)
		st.mask = sc.Keep(sc.T(ts.Cat([]*tensor.Tensor{old, ones}, 1))) // [N, S+1]
	}
	var ids, pos *tensor.Tensor
	if s.noCache {
		for i := range st.ids {
			st.ids[i] = append(st.ids[i], next[i])
		}
		ids = sc.T(tensor.FromRows(st.ids, st.dev))
		if st.mask != nil {
			pos = sc.T(s.allPositions(st))
		}
	} else {
		ids = sc.T(tensor.FromInt64s(next, []int64{n, 1}, st.dev))
		if st.mask != nil {
			pos = sc.T(tensor.FromInt64s(st.next, []int64{n, 1}, st.dev))
		}
	}
	if last, err = s.hidden(st, ids, pos); err != nil {
		return nil, nil, err
	}
	for i := range st.next {
		st.next[i]++
	}
	return st, last, nil
}

// allPositions recomputes every row's positions from the current mask.
func (s stepper) allPositions(st *state) (*tensor.Tensor, error) {
	flat, err := tensor.Int64s(st.mask)
	if err != nil {
		return nil, err
	}
	w := len(flat) / len(st.ids)
	mask := make([][]int64, len(st.ids))
	for i := range mask {
		mask[i] = flat[i*w : (i+1)*w]
	}
	pos, _, _ := positions(mask)
	return tensor.FromRows(pos, st.dev)
}

// forward runs ids [N, T] (through the cache, if any) and returns the
// logits of the last position only, [N, V]: the LM head on one position.
func (s stepper) forward(st *state, ids, pos *tensor.Tensor) (*tensor.Tensor, error) {
	last, err := s.hidden(st, ids, pos)
	if err != nil {
		return nil, err
	}
	defer tensor.Free(last)
	return s.m.LM.Forward(last), nil
}

// hidden runs ids [N, T] (through the cache, if any) and returns the last
// block's output at the last position, [N, C].
func (s stepper) hidden(st *state, ids, pos *tensor.Tensor) (last *tensor.Tensor, err error) {
	out, err := s.m.Forward(Input{IDs: ids, Mask: st.mask, Positions: pos, Cache: st.cache, SkipLogits: true}, false)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	return out.Hidden.Select(1, tensor.Shape(ids)[1]-1, false)
}

// Reorder keeps rows idx of the cache, mask, positions and ids.
func (st *state) Reorder(idx []int64) (err error) {
	defer tensor.Recover(&err)
	sc := tensor.NewScope()
	defer sc.Close()
	t := sc.T(tensor.FromInt64s(idx, []int64{int64(len(idx))}, st.dev))
	if st.cache != nil {
		if err := st.cache.Reorder(t); err != nil {
			return err
		}
	}
	if st.mask != nil {
		old := sc.Add(st.mask)
		st.mask = sc.Keep(sc.T(old.IndexSelect(0, t, false)))
	}
	next := make([]int64, len(idx))
	var ids [][]int64
	for i, j := range idx {
		next[i] = st.next[j]
		if st.ids != nil {
			ids = append(ids, append([]int64(nil), st.ids[j]...))
		}
	}
	st.next, st.ids = next, ids
	return nil
}

// Reserve makes the cache's room for tokens more positions (none without
// a cache).
func (st *state) Reserve(tokens int) { st.cache.Reserve(int64(tokens)) }

// Close frees the cache, the mask and the screen.
func (st *state) Close() {
	st.cache.Close()
	tensor.Free(st.mask)
	st.mask = nil
	st.greedy.Close()
}

func cloneRows(rows [][]int64) [][]int64 {
	out := make([][]int64, len(rows))
	for i, r := range rows {
		out[i] = append([]int64(nil), r...)
	}
	return out
}
