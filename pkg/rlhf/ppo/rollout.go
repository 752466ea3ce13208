package ppo

import (
	"context"
	"fmt"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/layers"
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

// Packer is a policy whose projections can be packed for inference
// (models.Pack); layers.None frees the packed copies.
type Packer interface {
	Pack(p layers.Precision) error
}

// Pack packs the language model's projections (the value head's too).
func (p *ValueModel) Pack(prec layers.Precision) error { return models.Pack(p.LM, prec) }

// Pack packs the actor, the model that samples.
func (ac ActorCritic) Pack(p layers.Precision) error {
	a, ok := ac.Actor.(Packer)
	if !ok {
		return fmt.Errorf("actor %s cannot pack its weights", describe(ac.Actor))
	}
	return a.Pack(p)
}

// RolloutConfig says how responses are sampled. The book (and TRL's
// examples) sample purely: top_k 0, top_p 1, temperature 1.
type RolloutConfig struct {
	// Temperature and RepetitionPenalty left unset (nil) take the
	// policy's generation defaults (Defaults), as TRL's generate() takes
	// model.generation_config's for what its generation_kwargs leave out;
	// TRL's examples pass top_k and top_p, so those are always gotrl's.
	Temperature       *float64 `yaml:"temperature"`
	TopK              int      `yaml:"top_k"`
	TopP              float64  `yaml:"top_p"`
	RepetitionPenalty *float64 `yaml:"repetition_penalty"`
	// MinLength..MaxLength bounds each batch's response length, drawn
	// uniformly per rollout (TRL's LengthSampler, named as in its
	// examples); equal values fix it. Generation still stops a row at eos.
	MinLength int `yaml:"output_min_length" help:"shortest response length drawn per rollout (TRL LengthSampler)"`
	MaxLength int `yaml:"output_max_length" help:"longest response length drawn per rollout"`
	// EOSTokenID and PadTokenID come from the policy (Defaults, else its
	// tokenizer); responses stop at eos.
	EOSTokenID generate.IDs `yaml:"-"`
	PadTokenID *int64       `yaml:"-"`
	// Quantize samples with the policy's projections packed in this
	// precision (layers.Quantize; int8 and fp16 read a quarter and a half
	// of the float32 weights' bytes a token), repacked from the current
	// weights at every rollout and freed when it ends. Rollouts then
	// sample from a close approximation of the policy; log-probabilities,
	// values and the update use the float32 weights as before, so the PPO
	// ratio still compares the policy with itself. Autocast does not apply
	// to such rollouts. "" and none sample with the weights as they are
	// (TRL).
	Quantize layers.Precision `yaml:"rollout_quantize"`
	// Defaults are the policy's generation defaults (WithDefaults); nil
	// is HF's (generate.Default).
	Defaults *generate.Config `yaml:"-"`
}

// DefaultRolloutConfig samples 16 new tokens from the full distribution.
func DefaultRolloutConfig() RolloutConfig {
	return RolloutConfig{TopK: 0, TopP: 1, MinLength: 16, MaxLength: 16}
}

// rolloutArguments are the generate() arguments of TRL's PPO examples
// (generation_kwargs: min_length -1, top_k 0, top_p 1, do_sample, pad, and
// the sampled max_new_tokens) and what a rollout of one sampled response
// per query fixes besides: the policy's defaults never override them.
var rolloutArguments = map[string]bool{
	"do_sample": true, "top_k": true, "top_p": true, "min_length": true, "max_new_tokens": true,
	"pad_token_id": true, "num_beams": true, "num_return_sequences": true,
}

// WithDefaults returns c with the generation defaults of the policy
// directory dir (generate.FromCheckpoint: its generation_config.json, else
// config.json; model is the loaded policy's config) under every setting c
// leaves unset, as TRL's generate() completes its generation_kwargs from
// the policy's model.generation_config. A default a rollout cannot honour
// is an error naming the file and the key.
func (c RolloutConfig) WithDefaults(dir string, model any) (RolloutConfig, error) {
	k, err := generate.FromCheckpoint(dir, model)
	if err != nil {
		return c, err
	}
	given := func(key string) bool {
		switch key {
		case "temperature":
			return c.Temperature != nil
		case "repetition_penalty":
			return c.RepetitionPenalty != nil
		case "eos_token_id":
			return len(c.EOSTokenID) > 0
		}
		return rolloutArguments[key]
	}
	d := c.generation(c.MaxLength, 0)
	if err := k.Apply(&d, given); err != nil {
		return c, err
	}
	c.Defaults = &d
	return c, nil
}

// defaultEOS splits the policy's default eos ids into those inside a
// vocabulary of vocab ids and those outside it: a generation_config.json
// that transformers derived from a config without eos_token_id names
// GPT-2's 50256, which a Chinese GPT-2's 21,128 ids never reach (HF runs
// every rollout to its length; gotrl stops at the tokenizer's eos, as it
// does for such a config.json).
func (c RolloutConfig) defaultEOS(vocab int64) (in, out generate.IDs) {
	if c.Defaults == nil {
		return nil, nil
	}
	for _, id := range c.Defaults.EOSTokenID {
		if id >= 0 && id < vocab {
			in = append(in, id)
		} else {
			out = append(out, id)
		}
	}
	return in, out
}

// generation is the generate.Config of one rollout of n new tokens.
func (c RolloutConfig) generation(n int, seed int64) generate.Config {
	g := generate.Default()
	if c.Defaults != nil {
		g = *c.Defaults
	}
	g.DoSample, g.TopK, g.TopP, g.NumBeams, g.NumReturnSequences = true, c.TopK, c.TopP, 1, 1
	if c.Temperature != nil {
		g.Temperature = *c.Temperature
	}
	if c.RepetitionPenalty != nil {
		g.RepetitionPenalty = *c.RepetitionPenalty
	}
	if len(c.EOSTokenID) > 0 {
		g.EOSTokenID = c.EOSTokenID
	}
	g.MaxNewTokens, g.MaxLength, g.MinLength, g.Seed, g.PadTokenID = n, 0, 0, seed, c.PadTokenID
	return g
}

// Validate checks the length range and the sampling settings.
func (c RolloutConfig) Validate() error {
	if c.MinLength < 1 || c.MaxLength < c.MinLength {
		return fmt.Errorf("rollout: output_min_length (--output-min-length) %d and output_max_length (--output-max-length) %d: want 1 ≤ min ≤ max", c.MinLength, c.MaxLength)
	}
	if err := c.Quantize.Validate(); err != nil {
		return fmt.Errorf("rollout: rollout_quantize (--rollout-quantize): %w", err)
	}
	return c.generation(c.MaxLength, 0).Validate()
}

// Rollout samples one response per query with the policy, as one batch:
// queries are left-padded with pad_token_id (generate gives left-padded
// rows HF's position ids, cumsum(mask)-1). A response is the new tokens up
// to and including eos. seed fixes the sampling stream. With
// rc.Quantize the policy is packed for the rollout only (see
// RolloutConfig.Quantize).
func (t *Trainer) Rollout(ctx context.Context, queries [][]int64, rc RolloutConfig, seed int64) (responses [][]int64, err error) {
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
	if q := rc.Quantize.Resolve(t.Policy.Stores()[0].Device()); q != layers.None {
		pk, ok := t.Policy.(Packer)
		if !ok {
			return nil, fmt.Errorf("rollout: rollout_quantize %s: policy %s cannot pack its weights", q, describe(t.Policy))
		}
		if err := pk.Pack(q); err != nil {
			return nil, fmt.Errorf("rollout: %w", err)
		}
		// unpacked whatever happens: every later forward (log-probabilities,
		// the reference, the update) runs under no-grad and would otherwise
		// take the packed copies
		defer func() {
			if uerr := pk.Pack(layers.None); uerr != nil && err == nil {
				responses, err = nil, fmt.Errorf("rollout: %w", uerr)
			}
		}()
	}
	ids, mask := padRows(queries, t.Config.PadTokenID, true)
	out, err := generate.Generate(ctx, g.Stepper(), generate.Batch{IDs: ids, Mask: mask}, gc)
	if err != nil {
		return nil, fmt.Errorf("rollout: %w", err)
	}
	responses = make([][]int64, len(queries))
	for i := range responses {
		for j := out.PrefixLen; j < len(out.Sequences[i]); j++ {
			if out.Mask[i][j] == 1 {
				responses[i] = append(responses[i], out.Sequences[i][j])
			}
		}
	}
	return responses, nil
}
