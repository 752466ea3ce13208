package data

import (
	"fmt"
	"math"
	"strconv"
)

// Grouped is what Split needs of an example: a key that keeps related
// examples together. All example types in this package implement it.
type Grouped interface{ GroupKey() string }

// SplitOptions sizes the held-out side, in examples: exactly one of Fraction
// (of all examples) and Count.
type SplitOptions struct {
	Seed     uint64
	Fraction float64
	Count    int
}

// Split divides examples into train and test, keeping each group on one side.
// Groups are shuffled with Seed and moved to test until it holds at least the
// requested number of examples, so test can overshoot by less than one group.
// Both sides keep the input order. An empty group key makes an example its
// own group. This is HF datasets' train_test_split, but group-aware like
// scikit-learn's GroupShuffleSplit.
func Split[T Grouped](xs []T, opt SplitOptions) (train, test []T, err error) {
	want, err := opt.target(len(xs))
	if err != nil {
		return nil, nil, err
	}
	byGroup, groups := groupIndex(xs)
	rng := newRand(opt.Seed, streamSplit)
	rng.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	inTest := make([]bool, len(xs))
	for n, k := 0, 0; n < want; k++ {
		for _, i := range byGroup[groups[k]] {
			inTest[i] = true
			n++
		}
	}
	for i, x := range xs {
		if inTest[i] {
			test = append(test, x)
		} else {
			train = append(train, x)
		}
	}
	return train, test, nil
}

// target returns the number of test examples asked for.
func (o SplitOptions) target(n int) (int, error) {
	switch {
	case o.Fraction != 0 && o.Count != 0:
		return 0, fmt.Errorf("split: set Fraction or Count, not both")
	case o.Fraction < 0 || o.Fraction >= 1 || math.IsNaN(o.Fraction):
		return 0, fmt.Errorf("split: fraction %v outside [0, 1)", o.Fraction)
	case o.Count < 0 || o.Count > n:
		return 0, fmt.Errorf("split: count %d outside [0, %d]", o.Count, n)
	case o.Fraction > 0:
		return int(math.Round(o.Fraction * float64(n))), nil
	}
	return o.Count, nil
}

// groupIndex lists example indices per group and the groups in order of first
// appearance; an empty key gets a unique per-index key.
func groupIndex[T Grouped](xs []T) (map[string][]int, []string) {
	byGroup := map[string][]int{}
	var groups []string
	for i, x := range xs {
		k := x.GroupKey()
		if k == "" {
			k = "\x00" + strconv.Itoa(i) // cannot collide with a real key from text
		}
		if _, ok := byGroup[k]; !ok {
			groups = append(groups, k)
		}
		byGroup[k] = append(byGroup[k], i)
	}
	return byGroup, groups
}
