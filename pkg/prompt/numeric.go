package prompt

import "math"

// softmax returns exp(x_i) / sum_j exp(x_j), computed after subtracting
// the maximum so large scores do not overflow. When every score is -Inf
// (every label impossible) it returns the uniform distribution, not NaN.
func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	out := make([]float64, len(x))
	if math.IsInf(m, -1) {
		for i := range out {
			out[i] = 1 / float64(len(x))
		}
		return out
	}
	sum := 0.0
	for i, v := range x {
		out[i] = math.Exp(v - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// argmax returns the index of the largest value; the lowest index wins a
// tie, so predictions are deterministic.
func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// normalize divides x by its sum in place.
func normalize(x []float64) {
	sum := 0.0
	for _, v := range x {
		sum += v
	}
	for i := range x {
		x[i] /= sum
	}
}
