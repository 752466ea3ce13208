package run

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// TestSelfConsistencyWithGPT2 runs chain-of-thought self-consistency end
// to end on the tiny random GPT-2: the answers are noise, so the test
// checks the mechanics — k samples drawn from the real model, each
// sample's answer extracted, votes counted, a reproducible draw.
func TestSelfConsistencyWithGPT2(t *testing.T) {
	r := fixture(t, "gpt2")
	c := generate.Default()
	c.MaxNewTokens, c.TopK, c.Seed = 12, 0, 3
	c.EOSTokenID = generate.IDs{2}
	s, err := r.Sampler(newCharTok(), c)
	if err != nil {
		t.Fatal(err)
	}
	cot := prompt.English(prompt.Exemplar{Question: "1+1", Rationale: "1+1=2.", Answer: "2"})
	const k = 7
	var cons *prompt.Consensus
	checkNoLeak(t, func() {
		cons, err = cot.SelfConsistency(context.Background(), s, "2+3", k, prompt.Numbers)
	})
	if err != nil && !errors.Is(err, prompt.ErrNoAnswer) {
		t.Fatal(err)
	}
	if len(cons.Samples) != k || len(cons.Answers) != k {
		t.Fatalf("%d samples, %d answers, want %d", len(cons.Samples), len(cons.Answers), k)
	}
	votes := map[string]int{}
	for i, smp := range cons.Samples {
		a, _ := cot.Answer(smp, prompt.Numbers)
		if a != cons.Answers[i] {
			t.Errorf("sample %d %q: answer %q, re-extracted %q", i, smp, cons.Answers[i], a)
		}
		if a != "" {
			votes[a]++
		}
	}
	total := 0
	for _, ac := range cons.Counts {
		total += ac.Count
		if votes[ac.Answer] != ac.Count {
			t.Errorf("answer %q: %d votes, recount %d", ac.Answer, ac.Count, votes[ac.Answer])
		}
	}
	if len(cons.Counts) > 0 && cons.Answer != cons.Counts[0].Answer {
		t.Errorf("consensus %q, top count %q", cons.Answer, cons.Counts[0].Answer)
	}
	t.Logf("%d samples, %d with an answer, votes %v, consensus %q", k, total, cons.Counts, cons.Answer)

	again, err := s.Sample(context.Background(), cot.Prompt("2+3"), k)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again, cons.Samples) {
		t.Errorf("same seed, different samples:\n%q\n%q", again, cons.Samples)
	}
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(again)))); distinct < 2 {
		t.Errorf("%d samples but %d distinct: not sampling", k, distinct)
	}
}

func TestSamplerNeedsAGenerativeModel(t *testing.T) {
	if _, err := fixture(t, "bert").Sampler(newCharTok(), generate.Default()); err == nil {
		t.Error("MLM sampler: no error")
	}
}
