package tensor

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// CrossEntropy is F.cross_entropy(logits, target, ignore_index=ignore)
// with mean reduction, over logits [N, V] and int64 targets [N], with token
// accuracy: correct counts the counted rows whose target logit is the
// row's maximum (a tie counts as right), count the rows whose target is not
// ignore. Float32 or bfloat16 logits on the CPU take one fused op (float32
// math, as autocast runs cross-entropy; see the gotch patch's ext package)
// that reads the logits once each way, where ATen's route under autocast
// casts them to a float32 copy, writes a log-softmax, fills a one-hot
// gradient and casts back. Anything else takes ATen's ops. The loss is the
// caller's; with no row counted it is NaN, as ATen's mean.
func CrossEntropy(logits, target *Tensor, ignore int64) (loss *Tensor, correct, count float64, err error) {
	if !fusedCrossEntropy(logits, target) {
		return crossEntropyATen(logits, target, ignore)
	}
	defer Pin()() // the error, if any, is the calling thread's
	l, st := ext.CrossEntropy(logits.Ctensor(), target.Ctensor(), ignore)
	if loss, err = adopt("cross entropy", l); err != nil {
		return nil, 0, 0, err // both handles are nil on failure
	}
	stats := ts.New(lib.Ctensor(st))
	defer Free(stats)
	v, err := Float64s(stats)
	if err == nil && len(v) != 2 {
		err = fmt.Errorf("cross entropy: %d stats, want 2", len(v))
	}
	if err != nil {
		Free(loss)
		return nil, 0, 0, err
	}
	return loss, v[0], v[1], nil
}

// fusedCrossEntropy reports whether CrossEntropy's own op takes logits
// and target: 2-D float32 or bfloat16 logits on the CPU, 1-D targets.
func fusedCrossEntropy(logits, target *Tensor) bool {
	return extFloat(logits) && logits.Dim() == 2 && target.Dim() == 1
}

// crossEntropyATen is CrossEntropy through ATen's ops.
func crossEntropyATen(logits, target *Tensor, ignore int64) (loss *Tensor, correct, count float64, err error) {
	err = Catch(func() {
		s := NewScope()
		defer s.Close()
		loss = s.T(logits.CrossEntropyLoss(target, ts.None, 1, ignore, 0, false))
		counted := s.T(target.Ne(s.Int(ignore), false))
		// amax is a vectorized pass over [N, V], argmax a scalar one (5% of
		// a small GPT-2 step)
		scores := s.T(logits.Detach(false))
		best := s.T(scores.Amax([]int64{-1}, true, false))                                                        // [N, 1]
		at := s.T(scores.Gather(1, s.T(s.T(target.ClampMin(s.Int(0), false)).Unsqueeze(1, false)), false, false)) // [N, 1]
		hits := s.T(s.T(s.T(at.GeTensor(best, false)).Squeeze(false)).LogicalAnd(counted, false))
		var err error
		correct, err = Item(s.T(hits.Sum(gotch.Float, false)))
		Check(err)
		count, err = Item(s.T(counted.Sum(gotch.Float, false)))
		Check(err)
		s.Keep(loss)
	})
	return loss, correct, count, err
}
