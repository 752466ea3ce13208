package ppo

import (
	"fmt"
	"slices"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
)

// batch holds one Step's tensors, rows in sample order; T is the padded
// length of the scored sequence and every per-token tensor covers its
// first T-1 positions (position t predicts token t+1).
type batch struct {
	queries, responses [][]int64
	scores             []float32 // after scaling and clipping
	in                 Input
	masks              *tensor.Tensor // [B, T-1] float, 1 on response tokens
	last               *tensor.Tensor // [B, T-1] float one-hot of each row's last response token
	from               int64          // first response position of any row (where logits may start)

	logprobs, refLogprobs *tensor.Tensor // [B, T-1]
	logits, refLogits     *tensor.Tensor // [B, T-1, V], kl_penalty "full" only
	values                *tensor.Tensor // [B, T-1], masked after computeAdvantages
	rewards, nonScore     *tensor.Tensor // [B, T-1]
	kls                   *tensor.Tensor // [B, T-1]
	advantages, returns   *tensor.Tensor // [B, T-1]
}

// Close frees every tensor of the batch.
func (b *batch) Close() {
	tensor.Free(b.in.IDs, b.in.Mask, b.in.DecoderIDs, b.in.DecoderMask, b.masks, b.last,
		b.logprobs, b.refLogprobs, b.logits, b.refLogits, b.values, b.rewards, b.nonScore, b.kls,
		b.advantages, b.returns)
	*b = batch{}
}

// prepareInputs is prepare_model_inputs plus the response masks of
// batched_forward_pass. Decoder-only: rows are query+response, padded with
// pad_token_id on padding_side, and the mask is 1 on positions
// [len(q)-1+pads, len(q)-1+pads+len(r)). Encoder-decoder: the encoder gets
// the right-padded query, the decoder [start]+response, and the mask is 1
// on [0, len(r)) — TRL 0.11 starts at 1 there, which never trains the
// first response token; gotrl does not copy that.
func (t *Trainer) prepareInputs(queries, responses [][]int64) (b *batch, err error) {
	defer tensor.Recover(&err)
	b = &batch{queries: queries, responses: responses}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	pad := t.Config.PadTokenID
	dev := t.Policy.Stores()[0].Device()
	starts := make([]int, len(queries))
	if start := t.Policy.DecoderStart(); start >= 0 {
		enc, encMask := padRows(queries, pad, false)
		dec := make([][]int64, len(responses))
		for i, r := range responses {
			dec[i] = append([]int64{start}, r...)
		}
		scored, decMask := padRows(dec, pad, false)
		b.in.IDs, b.in.Mask = rowsInt64(enc, dev), rowsInt64(encMask, dev)
		b.in.DecoderIDs, b.in.DecoderMask = rowsInt64(scored, dev), rowsInt64(decMask, dev)
		b.masks, b.last = responseMasks(starts, responses, len(scored[0])-1, dev)
		return b, nil
	}
	rows := make([][]int64, len(queries))
	for i := range queries {
		rows[i] = append(append([]int64{}, queries[i]...), responses[i]...)
	}
	left := t.Config.PaddingSide == "left"
	scored, mask := padRows(rows, pad, left)
	width := len(scored[0])
	for i := range queries {
		starts[i] = len(queries[i]) - 1
		if left {
			starts[i] += width - len(rows[i])
		}
	}
	b.in.IDs, b.in.Mask = rowsInt64(scored, dev), rowsInt64(mask, dev)
	b.masks, b.last = responseMasks(starts, responses, width-1, dev)
	if t.Config.ResponseLogitsOnly {
		b.from = int64(slices.Min(starts))
	}
	return b, nil
}

// padRows pads rows to the longest with pad, on the left or the right,
// and returns them with their attention masks (1 token, 0 pad).
func padRows(rows [][]int64, pad int64, left bool) (ids, mask [][]int64) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	ids, mask = make([][]int64, len(rows)), make([][]int64, len(rows))
	for i, r := range rows {
		ids[i], mask[i] = make([]int64, width), make([]int64, width)
		off := 0
		if left {
			off = width - len(r)
		}
		for j := range ids[i] {
			ids[i][j] = pad
		}
		copy(ids[i][off:], r)
		for j := off; j < off+len(r); j++ {
			mask[i][j] = 1
		}
	}
	return ids, mask
}

// responseMasks builds the float masks [B, width]: 1 on row i's positions
// [starts[i], starts[i]+len(responses[i])), and the one-hot of the last of
// them (where compute_rewards adds the score).
func responseMasks(starts []int, responses [][]int64, width int, dev gotch.Device) (mask, last *tensor.Tensor) {
	m := make([][]float32, len(starts))
	l := make([][]float32, len(starts))
	for i, s := range starts {
		m[i], l[i] = make([]float32, width), make([]float32, width)
		end := s + len(responses[i])
		if end > width {
			panic(&tensor.Error{Op: "response mask", Err: fmt.Errorf("row %d: response ends at %d past width %d", i, end, width)})
		}
		for j := s; j < end; j++ {
			m[i][j] = 1
		}
		l[i][end-1] = 1
	}
	return rowsTensor(m, dev), rowsTensor(l, dev)
}

// rowsInt64 makes an int64 [B, T] tensor on dev, panicking on failure.
func rowsInt64(rows [][]int64, dev gotch.Device) *tensor.Tensor {
	x, err := tensor.FromRows(rows, dev)
	tensor.Check(err)
	return x
}

// selectRows returns in's rows idx [n] (a mini-batch); the caller frees
// the result's tensors.
func selectRows(in Input, idx *tensor.Tensor) Input {
	sel := func(x *tensor.Tensor) *tensor.Tensor {
		if x == nil {
			return nil
		}
		y, err := x.IndexSelect(0, idx, false)
		tensor.Check(err)
		return y
	}
	return mapInput(in, sel)
}

// mapInput applies f to each tensor of in.
func mapInput(in Input, f func(*tensor.Tensor) *tensor.Tensor) Input {
	return Input{Input: models.Input{IDs: f(in.IDs), Mask: f(in.Mask), DecoderIDs: f(in.DecoderIDs), DecoderMask: f(in.DecoderMask)}}
}

// freeInput frees the tensors of an input made by selectRows or narrowRows.
func freeInput(in Input) { tensor.Free(in.IDs, in.Mask, in.DecoderIDs, in.DecoderMask) }

// narrowRows returns rows [lo, lo+n) of in (a forward chunk).
func narrowRows(in Input, lo, n int64) Input {
	nar := func(x *tensor.Tensor) *tensor.Tensor {
		if x == nil {
			return nil
		}
		y, err := x.Narrow(0, lo, n, false)
		tensor.Check(err)
		return y
	}
	return mapInput(in, nar)
}
