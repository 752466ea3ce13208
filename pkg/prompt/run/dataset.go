package run

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gotrl/gotrl/pkg/data"
)

// Part names a side of a seeded train/test split.
type Part string

const (
	All   Part = "all"
	Train Part = "train"
	Test  Part = "test"
)

// ReadLabeled reads labeled texts ({"label","review"}, ChnSentiCorp's CSV
// header) and returns one side of the split that holds testSize examples
// out with seed (data.Split). The same (testSize, seed) always gives the
// same sides, so pretraining can read Train and evaluation Test.
func ReadLabeled(path string, testSize int, seed uint64, part Part) ([]data.Labeled, error) {
	xs, _, err := data.Classification(path, data.Options{SkipBad: true})
	if err != nil {
		return nil, err
	}
	if part == All || part == "" {
		return xs, nil
	}
	train, test, err := data.Split(xs, data.SplitOptions{Seed: seed, Count: testSize})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch part {
	case Train:
		return train, nil
	case Test:
		return test, nil
	}
	return nil, fmt.Errorf("part %q: want all, train or test", part)
}

// FewShot draws k examples of every label (labels ascending, each label's
// examples in a seeded shuffle), PET's "k per label" training set.
func FewShot(xs []data.Labeled, k int, seed uint64) ([]data.Labeled, error) {
	if k < 1 {
		return nil, fmt.Errorf("few-shot: k = %d, want >= 1", k)
	}
	byLabel := map[int][]data.Labeled{}
	for _, x := range xs {
		byLabel[x.Label] = append(byLabel[x.Label], x)
	}
	labels := make([]int, 0, len(byLabel))
	for l := range byLabel {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	rng := rand.New(rand.NewPCG(seed, 0x70657421)) // "pet!": its own stream
	var out []data.Labeled
	for _, l := range labels {
		pool := byLabel[l]
		if len(pool) < k {
			return nil, fmt.Errorf("few-shot: label %d has %d examples, want %d", l, len(pool), k)
		}
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		out = append(out, pool[:k]...)
	}
	return out, nil
}
