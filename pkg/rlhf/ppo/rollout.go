package ppo

import (
	"context"
	"fmt"

	"github.com/gotrl/gotrl/pkg/models/generate"
)

// Generator is a policy that can sample responses (pkg/models/generate).
type Generator interface {
	Stepper() generate.Stepper
}

// Stepper is the actor's.
func (ac ActorCritic) Stepper() generate.Stepper {
	if g, ok := ac.Actor.(Generator); ok {
		return g.Stepper()
	}
	return nil
}

// RolloutConfig says how responses are sampled. The book (and TRL's
// examples) sample purely: top_k 0, top_p 1, temperature 1.
type RolloutConfig struct {
	Temperature       float64 `yaml:"temperature"`
	TopK              int     `yaml:"top_k"`
	TopP              float64 `yaml:"top_p"`
	RepetitionPenalty float64 `yaml:"repetition_penalty"`
	// MinLength..MaxLength bounds each batch's response length, drawn
	// uniformly per rollout (TRL's LengthSampler, named as in its
	// examples); equal values fix it. Generation still stops a row at eos.
	MinLength int `yaml:"output_min_length" help:"shortest response length drawn per rollout (TRL LengthSampler)"`
	MaxLength int `yaml:"output_max_length" help:"longest response length drawn per rollout"`
	// EOSTokenID and PadTokenID come from the policy (config.json, else
	// its tokenizer); responses stop at eos.
	EOSTokenID generate.IDs `yaml:"-"`
	PadTokenID *int64       `yaml:"-"`
}

// DefaultRolloutConfig samples 16 new tokens from the full distribution.
func DefaultRolloutConfig() RolloutConfig {
	return RolloutConfig{Temperature: 1, TopK: 0, TopP: 1, RepetitionPenalty: 1, MinLength: 16, MaxLength: 16}
}

// generation is the generate.Config of one rollout of n new tokens.
func (c RolloutConfig) generation(n int, seed int64) generate.Config {
	g := generate.Default()
	g.DoSample, g.Temperature, g.TopK, g.TopP, g.RepetitionPenalty = true, c.Temperature, c.TopK, c.TopP, c.RepetitionPenalty
	g.MaxNewTokens, g.Seed, g.EOSTokenID, g.PadTokenID = n, seed, c.EOSTokenID, c.PadTokenID
	return g
}

// Validate checks the length range and the sampling settings.
func (c RolloutConfig) Validate() error {
	if c.MinLength < 1 || c.MaxLength < c.MinLength {
		return fmt.Errorf("rollout: output_min_length (--output-min-length) %d and output_max_length (--output-max-length) %d: want 1 ≤ min ≤ max", c.MinLength, c.MaxLength)
	}
	return c.generation(c.MaxLength, 0).Validate()
}

// Rollout samples one response per query with the policy, as one batch:
// queries are left-padded with pad_token_id (generate gives left-padded
// rows HF's position ids, cumsum(mask)-1). A response is the new tokens up
// to and including eos. seed fixes the sampling stream.
func (t *Trainer) Rollout(ctx context.Context, queries [][]int64, rc RolloutConfig, seed int64) ([][]int64, error) {
	if err := rc.Validate(); err != nil {
		return nil, err
	}
	g, ok := t.Policy.(Generator)
	if !ok || g.Stepper() == nil {
		return nil, fmt.Errorf("rollout: policy %s cannot generate", describe(t.Policy))
	}
	if len(queries) == 0 {
		return nil, fmt.Errorf("rollout: no queries")
	}
	for i, q := range queries {
		if len(q) == 0 {
			return nil, fmt.Errorf("rollout: query %d is empty", i)
		}
	}
	n := rc.MinLength
	if rc.MaxLength > rc.MinLength {
		n += t.rng.IntN(rc.MaxLength - rc.MinLength + 1)
	}
	gc := rc.generation(n, seed)
	if gc.PadTokenID == nil {
		pad := t.Config.PadTokenID
		gc.PadTokenID = &pad
	}
	ids, mask := padRows(queries, t.Config.PadTokenID, true)
	out, err := generate.Generate(ctx, g.Stepper(), generate.Batch{IDs: ids, Mask: mask}, gc)
	if err != nil {
		return nil, fmt.Errorf("rollout: %w", err)
	}
	responses := make([][]int64, len(queries))
	for i := range responses {
		for j := out.PrefixLen; j < len(out.Sequences[i]); j++ {
			if out.Mask[i][j] == 1 {
				responses[i] = append(responses[i], out.Sequences[i][j])
			}
		}
	}
	return responses, nil
}
