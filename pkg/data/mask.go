package data

import (
	"math"
	"math/rand/v2"
)

// MaskOptions configure masked-LM corruption (HF
// DataCollatorForLanguageModeling and DataCollatorForWholeWordMask).
type MaskOptions struct {
	Prob      float64 // fraction of tokens to predict (mlm_probability, 0.15)
	WholeWord bool    // mask every piece of a chosen word together
	MaskID    int64   // [MASK]
	Vocab     int64   // random replacements are drawn from [0, Vocab)
	// Special reports ids never masked ([CLS], [SEP], [PAD]).
	Special func(id int64) bool
	// Continues reports WordPiece continuation pieces ("##ing"), which
	// whole-word masking joins to the piece before them.
	Continues func(id int64) bool
}

// Mask corrupts one row of ids for masked-LM training and returns the
// corrupted input and the labels (the original id at chosen positions,
// IgnoreIndex elsewhere). Of the chosen positions 80% become [MASK],
// 10% a random token and 10% stay unchanged, as in BERT.
//
// Token mode chooses each maskable position with probability Prob (HF's
// Bernoulli draw); whole-word mode shuffles the words and takes whole
// words until round(len·Prob) tokens (at least 1) are chosen, skipping a
// word that would overshoot, as DataCollatorForWholeWordMask does.
func Mask(ids []int64, o MaskOptions, rng *rand.Rand) (input, labels []int64) {
	input = append([]int64(nil), ids...)
	labels = make([]int64, len(ids))
	for i := range labels {
		labels[i] = IgnoreIndex
	}
	chosen := chooseTokens(ids, o, rng)
	if o.WholeWord {
		chosen = chooseWords(ids, o, rng)
	}
	for _, i := range chosen {
		labels[i] = ids[i]
		switch r := rng.Float64(); {
		case r < 0.8:
			input[i] = o.MaskID
		case r < 0.9:
			input[i] = rng.Int64N(o.Vocab)
		}
	}
	return input, labels
}

func chooseTokens(ids []int64, o MaskOptions, rng *rand.Rand) []int {
	var out []int
	for i, id := range ids {
		if !o.Special(id) && rng.Float64() < o.Prob {
			out = append(out, i)
		}
	}
	return out
}

func chooseWords(ids []int64, o MaskOptions, rng *rand.Rand) []int {
	var words [][]int
	maskable := 0
	for i, id := range ids {
		if o.Special(id) {
			continue
		}
		maskable++
		if len(words) > 0 && o.Continues != nil && o.Continues(id) && words[len(words)-1][len(words[len(words)-1])-1] == i-1 {
			words[len(words)-1] = append(words[len(words)-1], i)
			continue
		}
		words = append(words, []int{i})
	}
	if len(words) == 0 {
		return nil
	}
	want := max(1, int(math.Round(float64(maskable)*o.Prob)))
	rng.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	var out []int
	for _, w := range words {
		if len(out) >= want {
			break
		}
		if len(out)+len(w) > want {
			continue
		}
		out = append(out, w...)
	}
	return out
}
