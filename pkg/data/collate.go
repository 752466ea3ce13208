package data

import (
	"errors"
	"fmt"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// Side is where padding goes: right for training, left for batched
// generation so every prompt ends at the last column (HF padding_side).
type Side int

const (
	PadRight Side = iota
	PadLeft
)

// Batch is a padded batch, [B][T] each, ready to become int64 tensors on the
// model side. Lens holds each row's unpadded length.
type Batch struct {
	InputIDs      [][]int64
	AttentionMask [][]int64 // 1 on tokens, 0 on padding
	TypeIDs       [][]int64
	Labels        [][]int64 // IgnoreIndex on padding and unlearned positions
	Lens          []int
}

// Collator pads encoded examples into a Batch.
type Collator struct {
	PadID int64
	Side  Side
	PadTo int // pad to this length; 0 pads to the batch's longest row
}

// PadID picks the padding token: [PAD] when the vocabulary has one, else
// [EOS] (HF's usual pad_token = eos_token for GPT-2). Padded positions are
// masked, so the choice does not change the model's output.
func PadID(sp tokenizer.Specials) (int64, error) {
	switch {
	case sp.PAD >= 0:
		return sp.PAD, nil
	case sp.EOS >= 0:
		return sp.EOS, nil
	}
	return 0, errors.New("vocabulary has neither a pad nor an eos token to pad with")
}

// Collate pads xs to a common length.
func (c Collator) Collate(xs []Encoded) (Batch, error) {
	width := c.PadTo
	for i, x := range xs {
		if len(x.TypeIDs) != len(x.IDs) || len(x.Labels) != len(x.IDs) {
			return Batch{}, fmt.Errorf("collate: example %d: %d ids, %d type ids, %d labels", i, len(x.IDs), len(x.TypeIDs), len(x.Labels))
		}
		if c.PadTo > 0 && len(x.IDs) > c.PadTo {
			return Batch{}, fmt.Errorf("collate: example %d has %d tokens, longer than pad length %d", i, len(x.IDs), c.PadTo)
		}
		width = max(width, len(x.IDs))
	}
	b := Batch{
		InputIDs:      make([][]int64, len(xs)),
		AttentionMask: make([][]int64, len(xs)),
		TypeIDs:       make([][]int64, len(xs)),
		Labels:        make([][]int64, len(xs)),
		Lens:          make([]int, len(xs)),
	}
	for i, x := range xs {
		n := len(x.IDs)
		ones := make([]int64, n)
		for j := range ones {
			ones[j] = 1
		}
		b.Lens[i] = n
		b.InputIDs[i] = c.pad(x.IDs, width, c.PadID)
		b.AttentionMask[i] = c.pad(ones, width, 0)
		b.TypeIDs[i] = c.pad(x.TypeIDs, width, 0)
		b.Labels[i] = c.pad(x.Labels, width, IgnoreIndex)
	}
	return b, nil
}

// pad returns a copy of row filled with v to width, on the collator's side.
func (c Collator) pad(row []int64, width int, v int64) []int64 {
	out := make([]int64, width)
	start := 0
	if c.Side == PadLeft {
		start = width - len(row)
	}
	for j := range out {
		out[j] = v
	}
	copy(out[start:], row)
	return out
}
