package generate

import "slices"

// BadWords is HF's NoBadWordsLogitsProcessor: a one-token word is always
// banned; a longer word's last token is banned when the row, at least as
// long as the word, ends with the word's other tokens. Words equal to a
// lone eos id are dropped, as HF does.
func BadWords(words [][]int64, eos []int64) Processor {
	var keep [][]int64
	for _, w := range words {
		if len(w) == 1 && slices.Contains(eos, w[0]) {
			continue
		}
		keep = append(keep, w)
	}
	return func(scores []float32, ids []int64, _ int) {
		for _, w := range keep {
			last := w[len(w)-1]
			if int(last) >= len(scores) {
				continue
			}
			head := w[:len(w)-1]
			if len(w) <= len(ids) && slices.Equal(ids[len(ids)-len(head):], head) {
				scores[last] = negInf
			}
		}
	}
}
