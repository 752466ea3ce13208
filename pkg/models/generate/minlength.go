package generate

// MinLength is HF's MinLengthLogitsProcessor: every eos id gets -inf while
// the row (its prefix included: the left-padded prompt of a decoder-only
// model, decoder_start_token_id of an encoder-decoder) is shorter than min.
func MinLength(min int, eos []int64) Processor {
	return func(scores []float32, ids []int64, _ int) {
		if len(ids) >= min {
			return
		}
		for _, e := range eos {
			if int(e) < len(scores) {
				scores[e] = negInf
			}
		}
	}
}
