package generate

// RepetitionPenalty is HF's RepetitionPenaltyLogitsProcessor (CTRL): the
// score of every token already in the row is divided by penalty when
// positive and multiplied by it when negative, once per distinct token.
func RepetitionPenalty(penalty float64) Processor {
	p := float32(penalty)
	return func(scores []float32, ids []int64, _ int) {
		seen := make(map[int64]bool, len(ids))
		for _, id := range ids {
			if seen[id] || id < 0 || int(id) >= len(scores) {
				continue
			}
			seen[id] = true
			if s := scores[id]; s < 0 {
				scores[id] = s * p
			} else {
				scores[id] = s / p
			}
		}
	}
}
