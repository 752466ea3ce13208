package run

import (
	"context"
	"fmt"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// Sampler draws sampled completions from a generative model through
// pkg/models/generate: what chain-of-thought self-consistency
// (prompt.CoT.SelfConsistency) needs from a decoder.
type Sampler struct {
	Model generate.Stepper
	Tok   tokenizer.Tokenizer
	// Config is the generation setting; Sample forces do_sample and sets
	// num_return_sequences to n. Its Seed fixes the draws.
	Config generate.Config
}

var _ prompt.Sampler = (*Sampler)(nil)

// Sampler returns a sampler over the runner's model for generative
// families (GPT-2, T5); an MLM runner has none.
func (r *Runner) Sampler(tok tokenizer.Tokenizer, c generate.Config) (*Sampler, error) {
	var m generate.Stepper
	switch f := r.f.(type) {
	case *decoder:
		m = f.m.Stepper()
	case *seq2seq:
		m = f.m.Stepper()
	default:
		return nil, fmt.Errorf("sampler: a %s (MLM) runner does not generate; use a GPT-2 or T5 model", r.Kind())
	}
	return &Sampler{Model: m, Tok: tok, Config: c}, nil
}

// Sample returns n completions of text (the new tokens only, decoded
// without special tokens, up to and excluding eos).
func (s *Sampler) Sample(ctx context.Context, text string, n int) ([]string, error) {
	enc, err := s.Tok.Encode(text, false)
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	if len(enc.IDs) == 0 {
		return nil, fmt.Errorf("sample: the prompt is empty after tokenization")
	}
	c := s.Config
	c.DoSample, c.NumReturnSequences, c.NumBeams = true, n, 1
	out, err := generate.Generate(ctx, s.Model, generate.Batch{IDs: [][]int64{enc.IDs}}, c)
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	texts := make([]string, len(out.Sequences))
	for i, seq := range out.Sequences {
		var gen []int64
		for j := out.PrefixLen; j < len(seq); j++ {
			if out.Mask[i][j] == 1 && !isEOS(c, seq[j]) {
				gen = append(gen, seq[j])
			}
		}
		texts[i] = tokenizer.Text(s.Tok, gen) // no spaces between CJK characters
	}
	return texts, nil
}

func isEOS(c generate.Config, id int64) bool {
	for _, e := range c.EOSTokenID {
		if e == id {
			return true
		}
	}
	return false
}
