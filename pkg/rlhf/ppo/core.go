package ppo

// PPO's pure math, mirroring trl/core.py and the tensor-only methods of
// Trainer (_kl_penalty, compute_advantages) in TRL 0.11.4. Every
// function takes tensors the caller owns and returns new tensors the caller
// owns. On a libtorch failure (or a mask that leaves nothing to average)
// it panics with *tensor.Error: callers sit under tensor.Recover, as
// Trainer.Step does.

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// whitenEps is TRL's variance floor in whiten / masked_whiten.
const whitenEps = 1e-8

// statPadding is TRL's WANDB_PADDING: the fill value of stacked stat rows
// of unequal length and of NaN advantages.
const statPadding = -1

// Penalty is how the per-token KL penalty is estimated (kl_penalty).
type Penalty string

const (
	PenaltyKL   Penalty = "kl"   // logp - ref_logp
	PenaltyAbs  Penalty = "abs"  // |logp - ref_logp|
	PenaltyMSE  Penalty = "mse"  // ½ (logp - ref_logp)²
	PenaltyFull Penalty = "full" // KL(p ‖ ref) over the whole vocabulary
)

// Validate accepts the four kinds.
func (p Penalty) Validate() error {
	switch p {
	case PenaltyKL, PenaltyAbs, PenaltyMSE, PenaltyFull:
		return nil
	}
	return fmt.Errorf("kl_penalty %q: want kl, abs, mse or full", string(p))
}

// MaskedMean is masked_mean(values, mask): sum(x·mask) / sum(mask) over
// every element, a 0-d tensor. mask is float (1 keep, 0 drop).
func MaskedMean(x, mask *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	num := s.T(s.T(x.Mul(mask, false)).Sum(gotch.Float, false))
	return s.Keep(s.T(num.Div(s.T(mask.Sum(gotch.Float, false)), false)))
}

// MaskedMeanDim is masked_mean(values, mask, axis=dim): [B, T] → [B] for dim 1.
func MaskedMeanDim(x, mask *tensor.Tensor, dim int64) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	num := s.T(s.T(x.Mul(mask, false)).SumDimIntlist([]int64{dim}, false, gotch.Float, false))
	den := s.T(mask.SumDimIntlist([]int64{dim}, false, gotch.Float, false))
	return s.Keep(s.T(num.Div(den, false)))
}

// MaskedVar is masked_var: the masked mean of squared deviations from the
// masked mean, times n/(n-1) (Bessel) when unbiased, n = sum(mask). As in
// TRL, n = 0 is an error and n = 1 gives inf/NaN (callers that whiten check
// for it first).
func MaskedVar(x, mask *tensor.Tensor, unbiased bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	mean := s.Add(MaskedMean(x, mask))
	centered := s.T(x.Sub(mean, false))
	variance := s.Add(MaskedMean(s.T(centered.Square(false)), mask))
	if !unbiased {
		return s.Keep(variance)
	}
	n, err := tensor.Item(s.T(mask.Sum(gotch.Float, false)))
	tensor.Check(err)
	if n == 0 {
		panic(&tensor.Error{Op: "masked variance", Err: fmt.Errorf(
			"the mask keeps no value (mini_batch_size 1 with an empty response?); raise mini_batch_size or gradient_accumulation_steps")})
	}
	bessel := float32(n) / float32(n-1) // a float32 tensor op in TRL; +Inf for n = 1
	return s.Keep(s.T(variance.MulScalar(s.Float(float64(bessel)), false)))
}

// MaskedWhiten is masked_whiten: (x - mean)·rsqrt(var + 1e-8) with the
// masked mean and unbiased masked variance; the mean is added back unless
// shiftMean.
func MaskedWhiten(x, mask *tensor.Tensor, shiftMean bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	mean := s.Add(MaskedMean(x, mask))
	variance := s.Add(MaskedVar(x, mask, true))
	return s.Keep(whitenWith(s, x, mean, variance, shiftMean))
}

// Whiten is whiten: MaskedWhiten with every element kept (torch.var is
// unbiased).
func Whiten(x *tensor.Tensor, shiftMean bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	mean := s.T(x.Mean(gotch.Float, false))
	variance := s.T(x.Var(true, false))
	return s.Keep(whitenWith(s, x, mean, variance, shiftMean))
}

func whitenWith(s *tensor.Scope, x, mean, variance *tensor.Tensor, shiftMean bool) *tensor.Tensor {
	inv := s.T(s.T(variance.AddScalar(s.Float(whitenEps), false)).Rsqrt(false))
	w := s.T(s.T(x.Sub(mean, false)).Mul(inv, false))
	if !shiftMean {
		w = s.T(w.Add(mean, false))
	}
	return w
}

// ClipByValue is clip_by_value: max(min(x, hi), lo) elementwise with
// tensor bounds (torch.clamp with tensors).
func ClipByValue(x, lo, hi *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	return s.Keep(s.T(s.T(x.Minimum(hi, false)).Maximum(lo, false)))
}

// LogprobsFromLogits is logprobs_from_logits: log_softmax over the last
// dim of logits [B, T, V], gathered at labels [B, T] → [B, T]. With labels
// nil it returns the whole log-distribution [B, T, V] (gather=False).
func LogprobsFromLogits(logits, labels *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	logp := s.T(logits.LogSoftmax(-1, gotch.Float, false))
	if labels == nil {
		return s.Keep(logp)
	}
	idx := s.T(labels.Unsqueeze(-1, false))
	return s.Keep(s.T(s.T(logp.Gather(-1, idx, false, false)).SqueezeDim(-1, false)))
}

// EntropyFromLogits is entropy_from_logits: logsumexp(l) - Σ softmax(l)·l
// over the last dim, [B, T, V] → [B, T].
func EntropyFromLogits(logits *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	pd := s.T(logits.Softmax(-1, gotch.Float, false))
	lse := s.T(logits.Logsumexp([]int64{-1}, false, false))
	expect := s.T(s.T(pd.Mul(logits, false)).SumDimIntlist([]int64{-1}, false, gotch.Float, false))
	return s.Keep(s.T(lse.Sub(expect, false)))
}

// KLPenalty is Trainer._kl_penalty: the per-token penalty between the
// policy's and the reference's log-probs [B, T]. For PenaltyFull both
// are whole log-distributions [B, T, V] and the result is
// Σ_v p·(log p - log ref) (F.kl_div(ref, logp, log_target=True).sum(-1)).
func KLPenalty(kind Penalty, logprob, refLogprob *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	diff := s.T(logprob.Sub(refLogprob, false))
	switch kind {
	case PenaltyKL:
		return s.Keep(diff)
	case PenaltyAbs:
		return s.Keep(s.T(diff.Abs(false)))
	case PenaltyMSE:
		return s.Keep(s.T(s.T(diff.Square(false)).MulScalar(s.Float(0.5), false)))
	case PenaltyFull:
		p := s.T(logprob.Exp(false))
		return s.Keep(s.T(s.T(p.Mul(diff, false)).SumDimIntlist([]int64{-1}, false, gotch.Float, false)))
	}
	panic(&tensor.Error{Op: "kl penalty", Err: fmt.Errorf("kind %q: want kl, abs, mse or full", kind)})
}

// GAE computes generalized advantage estimates over values and rewards
// [B, T] (Trainer.compute_advantages before whitening): with
// δ_t = r_t + γ·V_{t+1} − V_t and A_t = δ_t + γλ·A_{t+1}, scanned backwards
// with V_T = 0, returns = A + V. Padding is masked: values and rewards are
// multiplied by mask [B, T] first, so the value after a response's last
// token bootstraps as 0 and nothing past it flows back. It returns the
// masked values, the advantages and the returns, all [B, T].
//
// The scan runs in Go in float32 with TRL's operation order (γ·λ folded
// in float64 first, as Python does), so it matches torch bit for bit.
func GAE(values, rewards, mask *tensor.Tensor, gamma, lam float64) (masked, advantages, returns *tensor.Tensor) {
	s := tensor.NewScope()
	defer s.Close()
	masked = s.T(values.Mul(mask, false))
	r := s.T(rewards.Mul(mask, false))
	sh := tensor.Shape(values)
	b, t := int(sh[0]), int(sh[1])
	v32, err := tensor.Float32s(masked)
	tensor.Check(err)
	r32, err := tensor.Float32s(r)
	tensor.Check(err)
	g, gl := float32(gamma), float32(gamma*lam)
	adv := make([]float32, b*t)
	ret := make([]float32, b*t)
	for i := 0; i < b; i++ {
		var last float32
		for j := t - 1; j >= 0; j-- {
			var next float32
			if j < t-1 {
				next = v32[i*t+j+1]
			}
			delta := r32[i*t+j] + g*next - v32[i*t+j]
			last = delta + gl*last
			adv[i*t+j] = last
			ret[i*t+j] = last + v32[i*t+j]
		}
	}
	dev, err := values.Device()
	tensor.Check(err)
	advantages = s.T(tensor.FromFloat32s(adv, sh, dev))
	returns = s.T(tensor.FromFloat32s(ret, sh, dev))
	return s.Keep(masked), s.Keep(advantages), s.Keep(returns)
}

// StackStats is stack_dicts: per key, one row per dict holding that dict's
// flattened values, rows padded with -1 (WANDB_PADDING) to equal length.
func StackStats(dicts []map[string][]float64) map[string][][]float64 {
	out := map[string][][]float64{}
	if len(dicts) == 0 {
		return out
	}
	for k := range dicts[0] {
		width := 0
		for _, d := range dicts {
			width = max(width, len(d[k]))
		}
		rows := make([][]float64, len(dicts))
		for i, d := range dicts {
			row := make([]float64, width)
			n := copy(row, d[k])
			for j := n; j < width; j++ {
				row[j] = statPadding
			}
			rows[i] = row
		}
		out[k] = rows
	}
	return out
}

// MeanRows is torch.mean(stacked, axis=0): the column means of rows.
func MeanRows(rows [][]float64) []float64 {
	if len(rows) == 0 {
		return nil
	}
	out := make([]float64, len(rows[0]))
	for _, r := range rows {
		for j, v := range r {
			out[j] += v
		}
	}
	for j := range out {
		out[j] /= float64(len(rows))
	}
	return out
}

// FlattenRows is torch.flatten of stacked rows, with NaN replaced by -1
// as TRL does for ppo/policy/advantages.
func FlattenRows(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		for _, v := range r {
			if math.IsNaN(v) {
				v = statPadding
			}
			out = append(out, v)
		}
	}
	return out
}

// PrefixStats is flatten_dict for one level: every key of m under
// prefix + "/".
func PrefixStats[V any](prefix string, m map[string]V, into map[string]V) {
	for k, v := range m {
		into[prefix+"/"+k] = v
	}
}

// meanStd returns the mean and the unbiased standard deviation of xs
// (torch.mean / torch.std); std is NaN for fewer than 2 values, as torch.
func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// rowsTensor makes a float32 [len(rows), len(rows[0])] tensor on dev.
func rowsTensor(rows [][]float32, dev gotch.Device) *tensor.Tensor {
	w := 0
	if len(rows) > 0 {
		w = len(rows[0])
	}
	flat := make([]float32, 0, len(rows)*w)
	for _, r := range rows {
		flat = append(flat, r...)
	}
	t, err := tensor.FromFloat32s(flat, []int64{int64(len(rows)), int64(w)}, dev)
	tensor.Check(err)
	return t
}
