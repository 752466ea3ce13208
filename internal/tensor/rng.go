package tensor

import (
	"fmt"

	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Seed seeds libtorch's default generators (CPU and every CUDA device).
func Seed(seed int64) { lib.ManualSeed(seed) }

// StepSeed derives the seed of one training step from the run seed, so a
// resumed run draws the same dropout masks and samples as an uninterrupted
// one without saving generator state (splitmix64 of seed and step).
func StepSeed(seed, step int64) int64 {
	z := uint64(seed) + uint64(step)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return int64((z ^ (z >> 31)) >> 1)
}

// RNGState returns the default CPU generator's state as bytes.
func RNGState() ([]byte, error) {
	c := lib.RNGState()
	if err := ts.TorchErr(); err != nil {
		return nil, fmt.Errorf("get rng state: %w", err)
	}
	t := ts.New(c)
	defer Free(t)
	n := int(t.Numel())
	buf := make([]byte, n)
	if err := t.CopyDataUint8(buf, uint(n)); err != nil {
		return nil, fmt.Errorf("get rng state: %w", err)
	}
	return buf, nil
}

// SetRNGState restores a state returned by RNGState.
func SetRNGState(state []byte) error {
	t, err := ts.OfSlice(state)
	if err != nil {
		return fmt.Errorf("set rng state: %w", err)
	}
	defer Free(t)
	lib.SetRNGState(lib.Ctensor(t.Ctensor()))
	if err := ts.TorchErr(); err != nil {
		return fmt.Errorf("set rng state: %w", err)
	}
	return nil
}
