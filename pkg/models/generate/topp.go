package generate

import "slices"

// TopP is HF's TopPLogitsWarper (nucleus): with tokens sorted by ascending
// score, those whose cumulative probability is ≤ 1-p become -inf, keeping
// at least minKeep tokens: the smallest set whose mass exceeds p survives.
func TopP(p float64, minKeep int) Processor {
	return func(scores []float32, _ []int64, _ int) {
		order := make([]int, len(scores))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return -cmpDesc(scores[a], scores[b]) }) // ascending
		probs := softmax(scores)
		cum := 0.0
		for rank, i := range order {
			cum += probs[i]
			if rank >= len(order)-minKeep {
				break
			}
			if cum <= 1-p {
				scores[i] = negInf
			}
		}
	}
}
