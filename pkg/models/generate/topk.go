package generate

import (
	"slices"
)

// TopK is HF's TopKLogitsWarper: scores below the k-th largest become
// -inf (ties with it stay); k is raised to minKeep.
func TopK(k, minKeep int) Processor {
	k = max(k, minKeep)
	return func(scores []float32, _ []int64, _ int) {
		if k >= len(scores) {
			return
		}
		sorted := slices.Clone(scores)
		slices.SortFunc(sorted, func(a, b float32) int { return cmpDesc(a, b) })
		kth := sorted[k-1]
		for i, s := range scores {
			if s < kth {
				scores[i] = negInf
			}
		}
	}
}

// cmpDesc orders scores from largest to smallest.
func cmpDesc(a, b float32) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
