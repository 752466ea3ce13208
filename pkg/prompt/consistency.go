package prompt

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Sampler draws n completions of prompt from a model with sampling
// (temperature > 0); it is what a decoder runner implements.
type Sampler interface {
	Sample(ctx context.Context, prompt string, n int) ([]string, error)
}

// SamplerFunc adapts a function to Sampler.
type SamplerFunc func(ctx context.Context, prompt string, n int) ([]string, error)

func (f SamplerFunc) Sample(ctx context.Context, prompt string, n int) ([]string, error) {
	return f(ctx, prompt, n)
}

// ErrNoAnswer is returned when no sampled completion contains an answer.
var ErrNoAnswer = errors.New("no sample contains an answer")

// AnswerCount is the number of samples that reached one answer.
type AnswerCount struct {
	Answer string
	Count  int
}

// Consensus is the outcome of self-consistency.
type Consensus struct {
	Answer  string
	Counts  []AnswerCount // by count, descending; ties by first appearance
	Samples []string      // the completions, in sampler order
	Answers []string      // the answer of each sample; "" when none was found
}

// SelfConsistency samples k rationales for the question (Wang et al. 2023),
// extracts each one's answer and returns the majority answer. Samples
// without an answer do not vote. A tie goes to the answer that appeared
// first in sampler order, so the result is deterministic for a
// deterministic sampler.
func (c CoT) SelfConsistency(ctx context.Context, s Sampler, question string, k int, ex Extractor) (*Consensus, error) {
	if k < 1 {
		return nil, fmt.Errorf("self-consistency: k = %d, want >= 1", k)
	}
	samples, err := s.Sample(ctx, c.Prompt(question), k)
	if err != nil {
		return nil, fmt.Errorf("self-consistency: sample: %w", err)
	}
	if len(samples) != k {
		return nil, fmt.Errorf("self-consistency: sampler returned %d completions, want %d", len(samples), k)
	}
	cons := &Consensus{Samples: samples, Answers: make([]string, k)}
	first := map[string]int{}
	for i, smp := range samples {
		a, ok := c.Answer(smp, ex)
		if !ok {
			continue
		}
		cons.Answers[i] = a
		if _, seen := first[a]; !seen {
			first[a] = len(cons.Counts)
			cons.Counts = append(cons.Counts, AnswerCount{Answer: a})
		}
		cons.Counts[first[a]].Count++
	}
	if len(cons.Counts) == 0 {
		return cons, fmt.Errorf("self-consistency: %d samples: %w", k, ErrNoAnswer)
	}
	sort.SliceStable(cons.Counts, func(i, j int) bool { return cons.Counts[i].Count > cons.Counts[j].Count })
	cons.Answer = cons.Counts[0].Answer
	return cons, nil
}
