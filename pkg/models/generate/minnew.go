package generate

// MinNewTokens is HF's MinNewTokensLengthLogitsProcessor: every eos id
// gets -inf while fewer than min new tokens exist.
func MinNewTokens(min int, eos []int64) Processor {
	return func(scores []float32, _ []int64, newTokens int) {
		if newTokens >= min {
			return
		}
		for _, e := range eos {
			if int(e) < len(scores) {
				scores[e] = negInf
			}
		}
	}
}
