package run

import (
	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// batch is id rows padded on the right to one length, with HF's
// attention_mask (1 = token, 0 = padding) and segment ids. Right padding
// is safe for every family here: an encoder masks the pad keys, and a
// causal decoder's real tokens never look right.
type batch struct {
	IDs, TypeIDs, Mask [][]int64
}

// padRight pads rows (and their type ids; nil means all 0) with pad.
func padRight(rows, types [][]int64, pad int64) batch {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	b := batch{IDs: make([][]int64, len(rows)), TypeIDs: make([][]int64, len(rows)), Mask: make([][]int64, len(rows))}
	for i, r := range rows {
		b.IDs[i], b.TypeIDs[i], b.Mask[i] = make([]int64, width), make([]int64, width), make([]int64, width)
		for j := range width {
			b.IDs[i][j] = pad
			if j < len(r) {
				b.IDs[i][j], b.Mask[i][j] = r[j], 1
				if types != nil && j < len(types[i]) {
					b.TypeIDs[i][j] = types[i][j]
				}
			}
		}
	}
	return b
}

// tensors returns the batch as [B, T] int64 tensors owned by s.
func (b batch) tensors(s *tensor.Scope, dev gotch.Device) (ids, types, mask *tensor.Tensor) {
	return s.T(tensor.FromRows(b.IDs, dev)), s.T(tensor.FromRows(b.TypeIDs, dev)), s.T(tensor.FromRows(b.Mask, dev))
}

// deviceOf is where t lives (forward code: panics with *tensor.Error).
func deviceOf(t *tensor.Tensor) gotch.Device {
	d, err := t.Device()
	tensor.Check(err)
	return d
}
