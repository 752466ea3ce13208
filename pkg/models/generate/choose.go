package generate

import (
	"math"
	"math/rand/v2"
)

// argmax is torch.argmax on one row: the first largest score.
func argmax(scores []float32) int64 {
	best := 0
	for i, s := range scores {
		if s > scores[best] {
			best = i
		}
	}
	return int64(best)
}

// sample draws one id from softmax(scores) (torch.multinomial on one row);
// lse is logSumExp(scores), which the caller needs for the log-prob too.
func sample(scores []float32, lse float64, rng *rand.Rand) int64 {
	r := rng.Float64()
	last := 0
	for i, s := range scores {
		p := math.Exp(float64(s) - lse)
		if p == 0 {
			continue
		}
		last = i
		if r < p {
			return int64(i)
		}
		r -= p
	}
	return int64(last) // rounding left r just above the total
}

// logSumExp is log Σ exp(s), computed in float64 from the maximum.
func logSumExp(scores []float32) float64 {
	m := math.Inf(-1)
	for _, s := range scores {
		m = math.Max(m, float64(s))
	}
	sum := 0.0
	for _, s := range scores {
		sum += math.Exp(float64(s) - m)
	}
	return m + math.Log(sum)
}

// softmax returns exp(s - logsumexp(s)) in float64 (-inf → 0).
func softmax(scores []float32) []float64 {
	lse := logSumExp(scores)
	out := make([]float64, len(scores))
	for i, s := range scores {
		out[i] = math.Exp(float64(s) - lse)
	}
	return out
}
