package heads

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// LastByPadID returns, per row of ids [B, T], the index HF's
// GPT2ForSequenceClassification reads: (argmax(ids == pad) - 1) mod T, the
// token before the first pad id, or T-1 when the row has none (so left
// padding works too). Returns [B] int64.
func LastByPadID(ids *tensor.Tensor, padID int64) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	t := tensor.Shape(ids)[1]
	isPad := s.T(s.T(ids.Eq(s.Int(padID), false)).Totype(gotch.Int64, false)) // [B, T]
	first := s.T(isPad.Argmax([]int64{-1}, false, false))                     // [B]
	return s.Keep(s.T(s.T(first.SubScalar(s.Int(1), false)).Remainder(s.Int(t), false)))
}

// LastByMask returns the index of the last position whose attention mask
// [B, T] is 1 (right padding: length-1; left padding: T-1), as TRL reads
// rewards. A row with no token gives 0. Returns [B] int64.
func LastByMask(mask *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	sh := tensor.Shape(mask)
	dev, err := mask.Device()
	tensor.Check(err)
	pos := s.T(ts.Arange(s.Int(sh[1]), gotch.Int64, dev))                         // [T]
	on := s.T(s.T(mask.Ne(s.Int(0), false)).Totype(gotch.Int64, false))           // [B, T]
	return s.Keep(s.T(s.T(on.Mul(pos, false)).Argmax([]int64{-1}, false, false))) // [B]
}

// GatherLast picks x[b, idx[b]] from x [B, T, ...] with idx [B]: [B, ...].
func GatherLast(x, idx *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	sh := tensor.Shape(x)
	view := make([]int64, len(sh))
	for i := range view {
		view[i] = 1
	}
	view[0] = sh[0]
	full := append([]int64{sh[0], 1}, sh[2:]...)
	index := s.T(s.T(idx.View(view, false)).Expand(full, false, false)) // [B, 1, ...]
	return s.Keep(s.T(s.T(x.Gather(1, index, false, false)).SqueezeDim(1, false)))
}
