package data

import "math/rand/v2"

// Each use of a seed draws from its own PCG stream, so a split, the rank
// negatives and the batch order made with the same seed are unrelated.
const (
	streamSplit uint64 = iota + 1
	streamRank
	streamShuffle
	streamSynth
)

// newRand returns a generator for one use of a seed; never the global one.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}
