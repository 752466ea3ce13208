// Package reward scores a policy's samples, for PPO and for
// `gotrl rm score`: reward models and classifiers of any family, each read
// with its own tokenizer, Go rule rewards, and weighted sums of them.
package reward

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Scorer gives one reward per sample; queries and responses are token ids
// in the policy's vocabulary (responses without the query).
type Scorer interface {
	Rewards(ctx context.Context, queries, responses [][]int64) ([]float64, error)
}

// Func is a Go reward (rule rewards, tests).
type Func func(queries, responses [][]int64) ([]float64, error)

// Rewards calls f.
func (f Func) Rewards(_ context.Context, queries, responses [][]int64) ([]float64, error) {
	return f(queries, responses)
}

// Part is one term of a Sum.
type Part struct {
	Scorer
	Weight float64
	Name   string // for errors
}

// Sum is Σ weight·reward over its parts: a model's score plus, say, a
// length bonus or a second model's.
type Sum []Part

// Rewards adds the weighted parts; a non-finite part is an error naming it.
func (s Sum) Rewards(ctx context.Context, queries, responses [][]int64) ([]float64, error) {
	if len(s) == 0 {
		return nil, errors.New("reward: no reward model or function")
	}
	total := make([]float64, len(queries))
	for _, p := range s {
		rs, err := p.Rewards(ctx, queries, responses)
		if err != nil {
			return nil, fmt.Errorf("reward %s: %w", p.Name, err)
		}
		if len(rs) != len(queries) {
			return nil, fmt.Errorf("reward %s: %d rewards for %d samples", p.Name, len(rs), len(queries))
		}
		for i, r := range rs {
			if math.IsNaN(r) || math.IsInf(r, 0) {
				return nil, fmt.Errorf("reward %s: sample %d scored %v", p.Name, i, r)
			}
			total[i] += p.Weight * r
		}
	}
	return total, nil
}
