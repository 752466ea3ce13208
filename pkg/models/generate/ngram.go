package generate

import "slices"

// NoRepeatNgram is HF's NoRepeatNGramLogitsProcessor: a token that would
// complete an n-gram already present in the row gets -inf.
func NoRepeatNgram(n int) Processor {
	return func(scores []float32, ids []int64, _ int) {
		if len(ids)+1 < n {
			return
		}
		prefix := ids[len(ids)-n+1:] // the n-1 last ids
		for i := 0; i+n <= len(ids); i++ {
			if slices.Equal(ids[i:i+n-1], prefix) {
				if next := ids[i+n-1]; next >= 0 && int(next) < len(scores) {
					scores[next] = negInf
				}
			}
		}
	}
}
