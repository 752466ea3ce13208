package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SpanOptions configure T5's span corruption (transformers'
// examples/flax/language-modeling/run_t5_mlm_flax.py, DataCollatorForT5MLM).
type SpanOptions struct {
	Density  float64 // fraction of tokens in noise spans (noise_density, 0.15)
	MeanSpan float64 // mean noise span length (mean_noise_span_length, 3)
	// Sentinel returns <extra_id_k>, which replaces the k-th noise span.
	Sentinel func(k int) int64
	EOS      int64 // appended to input and target; < 0 for none
}

// CorruptSpans turns ids into a T5 pretraining pair: input keeps the
// non-noise tokens with each noise span replaced by its sentinel, and the
// target lists each sentinel followed by the span it hides:
//
//	ids    a b c d e f g
//	input  a <0> d e <1> </s>
//	target <0> b c <1> f g </s>
//
// Non-noise and noise spans alternate, starting with non-noise and ending
// with noise, as random_spans_noise_mask lays them out; their
// lengths are random compositions as in _random_segmentation.
func CorruptSpans(ids []int64, o SpanOptions, rng *rand.Rand) (input, target []int64, err error) {
	n := len(ids)
	noise := int(math.Round(float64(n) * o.Density))
	noise = min(max(noise, 1), n-1)
	spans := int(math.Round(float64(noise) / o.MeanSpan))
	spans = max(spans, 1)
	if n < 2 || spans > noise || spans > n-noise {
		return nil, nil, fmt.Errorf("span corruption: %d tokens are too few for %d noise tokens in %d spans", n, noise, spans)
	}
	noiseLens := segment(noise, spans, rng)
	keepLens := segment(n-noise, spans, rng)
	pos := 0
	for k := range spans {
		input = append(input, ids[pos:pos+keepLens[k]]...)
		pos += keepLens[k]
		s := o.Sentinel(k)
		input = append(input, s)
		target = append(target, s)
		target = append(target, ids[pos:pos+noiseLens[k]]...)
		pos += noiseLens[k]
	}
	if o.EOS >= 0 {
		input = append(input, o.EOS)
		target = append(target, o.EOS)
	}
	return input, target, nil
}

// segment splits n items into k non-empty parts at random: k-1 distinct
// cut points among the n-1 gaps.
func segment(n, k int, rng *rand.Rand) []int {
	cuts := rng.Perm(n - 1)[:k-1]
	for i := range cuts {
		cuts[i]++
	}
	slices.Sort(cuts)
	out := make([]int, 0, k)
	prev := 0
	for _, c := range append(cuts, n) {
		out = append(out, c-prev)
		prev = c
	}
	return out
}
