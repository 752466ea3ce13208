package t5

import (
	"context"
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/heads"
)

// Stepper adapts m to generate's loop, as HF's generate() drives
// T5ForConditionalGeneration: the encoder runs once in Prepare, the decoder
// starts from decoder_start_token_id and then takes one token per Step
// through the cache (self part growing, cross part computed once).
func (m *Model) Stepper() generate.Stepper { return stepper{m} }

var (
	_ generate.GreedyStepper = stepper{}
	_ generate.Reserver      = (*state)(nil)
)

type stepper struct{ m *Model }

// state is the decoding state: the encoder output and mask the decoder
// attends to, and the cache.
type state struct {
	enc, encMask *tensor.Tensor // [N, S, C], [N, S]
	cache        *Cache
	greedy       heads.Greedy // StepGreedy's choices
}

// Reorder keeps rows idx (beam search).
func (st *state) Reorder(idx []int64) (err error) {
	defer tensor.Recover(&err)
	s := tensor.NewScope()
	defer s.Close()
	i := s.T(tensor.FromInt64s(idx, []int64{int64(len(idx))}, deviceOf(st.enc)))
	enc := s.T(st.enc.IndexSelect(0, i, false))
	mask := s.T(st.encMask.IndexSelect(0, i, false))
	if err := st.cache.Reorder(i); err != nil {
		return err
	}
	tensor.Free(st.enc, st.encMask)
	st.enc, st.encMask = s.Keep(enc), s.Keep(mask)
	return nil
}

// Reserve makes the decoder's self-attention cache room for tokens more
// positions; the cross-attention cache never grows.
func (st *state) Reserve(tokens int) { st.cache.Self.Reserve(int64(tokens)) }

// Close frees the state.
func (st *state) Close() {
	tensor.Free(st.enc, st.encMask)
	st.cache.Close()
	st.greedy.Close()
}

// Prepare encodes ids/mask [N][S] (right padding is fine: the mask hides
// it) and returns the logits after decoder_start_token_id.
func (g stepper) Prepare(ctx context.Context, ids, mask [][]int64) (p generate.Prepared, err error) {
	dev := deviceOf(g.m.Shared.Weight)
	idsT, err := tensor.FromRows(ids, dev)
	if err != nil {
		return p, err
	}
	defer tensor.Free(idsT)
	maskT, err := tensor.FromRows(mask, dev)
	if err != nil {
		return p, err
	}
	enc, err := g.m.Encode(idsT, maskT, false)
	if err != nil {
		tensor.Free(maskT)
		return p, err
	}
	st := &state{enc: enc.EncoderHidden, encMask: maskT, cache: g.m.NewCache()}
	enc.EncoderHidden = nil
	enc.Close()
	start := g.m.Config.DecoderStart()
	p.Prefix, p.PrefixMask = make([][]int64, len(ids)), make([][]int64, len(ids))
	next := make([]int64, len(ids))
	for i := range ids {
		p.Prefix[i], p.PrefixMask[i], next[i] = []int64{start}, []int64{1}, start
	}
	p.Logits, err = g.Step(ctx, st, next)
	if err != nil {
		st.Close()
		return p, err
	}
	p.State = st
	return p, nil
}

// Step feeds next [N] to the decoder and returns the logits [N, V].
func (g stepper) Step(_ context.Context, s generate.State, next []int64) (*tensor.Tensor, error) {
	_, out, err := g.advance(s, next, true)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	return out.Logits.SqueezeDim(1, false) // [N, 1, V] → [N, V]
}

// StepGreedy is Step choosing each row's largest logit through the LM
// head's screen (heads.Greedy), made at the first call and freed with the
// state; where it does not serve, the logits come back.
func (g stepper) StepGreedy(_ context.Context, s generate.State, next []int64) (ids []int64, logits *tensor.Tensor, err error) {
	st, out, err := g.advance(s, next, false)
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	defer tensor.Recover(&err)
	sc := tensor.NewScope()
	defer sc.Close()
	h := sc.Add(g.m.headInput(sc.T(out.DecoderHidden.SqueezeDim(1, false)))) // [N, C]
	return st.greedy.Next(g.m.LMHead, h)
}

// advance feeds next [N] to the decoder, through the LM head when logits.
func (g stepper) advance(s generate.State, next []int64, logits bool) (*state, *Output, error) {
	st, ok := s.(*state)
	if !ok {
		return nil, nil, fmt.Errorf("t5 step: state %T is not T5's", s)
	}
	ids, err := tensor.FromInt64s(next, []int64{int64(len(next)), 1}, deviceOf(st.enc))
	if err != nil {
		return nil, nil, err
	}
	defer tensor.Free(ids)
	out, err := g.m.decode(ids, nil, st.enc, st.encMask, st.cache, false, logits)
	return st, out, err
}
