package generate

import "math"

// A Processor edits one row's scores [V] in place, given the row's ids so
// far (HF's input_ids: the prefix, left padding included, then the new
// tokens) and how many of them are new. It mirrors one HF LogitsProcessor
// or LogitsWarper applied to one row.
type Processor func(scores []float32, ids []int64, newTokens int)

var negInf = float32(math.Inf(-1))

// processors is HF's _get_logits_processor order for the settings in c:
// repetition penalty, no-repeat n-gram, bad words, min length, min new
// tokens; then, when sampling, temperature, top-k and top-p.
func processors(c Config, minKeep int) []Processor {
	var ps []Processor
	if c.RepetitionPenalty != 1 {
		ps = append(ps, RepetitionPenalty(c.RepetitionPenalty))
	}
	if c.NoRepeatNgramSize > 0 {
		ps = append(ps, NoRepeatNgram(c.NoRepeatNgramSize))
	}
	if len(c.BadWordsIDs) > 0 {
		ps = append(ps, BadWords(c.BadWordsIDs, c.EOSTokenID))
	}
	if c.MinLength > 0 && c.MinNewTokens == 0 && len(c.EOSTokenID) > 0 { // HF: min_new_tokens replaces min_length
		ps = append(ps, MinLength(c.MinLength, c.EOSTokenID))
	}
	if c.MinNewTokens > 0 && len(c.EOSTokenID) > 0 {
		ps = append(ps, MinNewTokens(c.MinNewTokens, c.EOSTokenID))
	}
	if !c.DoSample {
		return ps
	}
	if c.Temperature != 1 {
		ps = append(ps, Temperature(c.Temperature))
	}
	if c.TopK != 0 {
		ps = append(ps, TopK(c.TopK, minKeep))
	}
	if c.TopP < 1 {
		ps = append(ps, TopP(c.TopP, minKeep))
	}
	return ps
}
