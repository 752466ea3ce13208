package ppo

import (
	"math"
	"sort"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Stats is what Step returns, under TRL's keys (objective/kl,
// ppo/loss/value, time/ppo/total, …) so curves compare one to one.
// Arrays hold TRL's array-valued stats flattened row-major
// (objective/logprobs is [B, T-1]).
type Stats struct {
	Scalars map[string]float64
	Arrays  map[string][]float64
}

// Keys lists every stat key, sorted.
func (s Stats) Keys() []string {
	var keys []string
	for k := range s.Scalars {
		keys = append(keys, k)
	}
	for k := range s.Arrays {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// recordStats is record_step_stats: the objective/* stats of the rollout
// (KL per sample and its mean, log-probs, entropy estimate, β), score and
// length statistics, and the mean over mini-batches of every train stat
// under ppo/ (advantages and ratios concatenated instead).
func (t *Trainer) recordStats(b *batch, train []map[string][]float64, klCoef float64) (st Stats, err error) {
	defer tensor.Recover(&err)
	st = Stats{Scalars: map[string]float64{}, Arrays: map[string][]float64{}}
	err = tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		rowSum := func(x *tensor.Tensor) []float64 {
			v, err := tensor.Float64s(s.T(s.T(x.Mul(b.masks, false)).SumDimIntlist([]int64{-1}, false, x.DType(), false)))
			tensor.Check(err)
			return v
		}
		klList := rowSum(b.kls)
		st.Arrays["objective/kl_dist"] = klList
		st.Scalars["objective/kl"], _ = meanStd(klList)
		ent := rowSum(s.T(b.logprobs.Neg(false)))
		st.Scalars["objective/entropy"], _ = meanStd(ent)
		nsr, err := tensor.Item(s.Add(MaskedMean(b.nonScore, b.masks)))
		tensor.Check(err)
		st.Scalars["ppo/mean_non_score_reward"] = nsr
		st.Arrays["objective/logprobs"], err = tensor.Float64s(b.logprobs)
		tensor.Check(err)
		st.Arrays["objective/ref_logprobs"], err = tensor.Float64s(b.refLogprobs)
		tensor.Check(err)
	})
	if err != nil {
		return Stats{}, err
	}
	st.Scalars["objective/kl_coef"] = klCoef
	scores := make([]float64, len(b.scores))
	for i, v := range b.scores {
		scores[i] = float64(v)
	}
	st.Scalars["ppo/mean_scores"], st.Scalars["ppo/std_scores"] = meanStd(scores)
	lengthStats(st, "queries", b.queries)
	lengthStats(st, "responses", b.responses)
	stacked := StackStats(train)
	for k, rows := range stacked {
		if k == "policy/advantages" || k == "policy/ratio" {
			st.Arrays["ppo/"+k] = FlattenRows(rows)
			continue
		}
		st.Scalars["ppo/"+k] = MeanRows(rows)[0]
	}
	st.Scalars["ppo/val/var_explained"] = 1 - st.Scalars["ppo/val/error"]/st.Scalars["ppo/returns/var"]
	return st, nil
}

// lengthStats adds tokens/<name>_len_mean, _len_std and _dist.
func lengthStats(st Stats, name string, rows [][]int64) {
	lens := make([]float64, len(rows))
	for i, r := range rows {
		lens[i] = float64(len(r))
	}
	mean, std := meanStd(lens)
	st.Scalars["tokens/"+name+"_len_mean"] = mean
	st.Scalars["tokens/"+name+"_len_std"] = std
	st.Arrays["tokens/"+name+"_dist"] = lens
}

// RunningMoments is TRL's RunningMoments (trl/trainer/utils.py): the
// running mean and std of every score seen (Chan et al.'s parallel
// update), for use_score_scaling. Its fields are its whole state.
type RunningMoments struct {
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	Var   float64 `json:"var"`
	Count float64 `json:"count"`
}

// NewRunningMoments starts as TRL does: mean 0, std 1, var 1, count 1e-24.
func NewRunningMoments() RunningMoments { return RunningMoments{Std: 1, Var: 1, Count: 1e-24} }

// Update folds a batch of scores into the moments and returns the batch's
// mean and unbiased std.
func (m *RunningMoments) Update(xs []float32) (mean, std float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= n
	var ss float64
	for _, x := range xs {
		ss += (float64(x) - mean) * (float64(x) - mean)
	}
	variance := ss / n // biased, as torch.var_mean(unbiased=False)
	m.fold(mean, variance, n)
	return mean, math.Sqrt(variance * n / (n - 1))
}

// fold merges a batch of n scores with the given mean and biased
// variance into the moments (Chan et al.'s parallel update, as TRL).
func (m *RunningMoments) fold(mean, variance, n float64) {
	delta := mean - m.Mean
	tot := m.Count + n
	oldSum := m.Var*m.Count + delta*delta*m.Count*n/tot
	newVar := (oldSum + variance*n) / tot
	m.Mean += delta * n / tot
	m.Std = math.Sqrt(newVar * tot / (tot - 1))
	m.Var = newVar
	m.Count = tot
}
