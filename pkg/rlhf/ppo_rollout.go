package rlhf

import (
	"context"
	"fmt"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
)

// Generator is a policy that can sample responses (pkg/models/generate).
type Generator interface {
	Stepper() generate.Stepper
}

// Stepper drives generation with the LM (the value head plays no part).
func (p *GPT2Policy) Stepper() generate.Stepper { return p.LM.Stepper() }

// Stepper is the actor's.
func (ac ActorCritic) Stepper() generate.Stepper {
	if g, ok := ac.Actor.(Generator); ok {
		return g.Stepper()
	}
	return nil
}

// RolloutConfig says how responses are sampled. The book (and TRL's
// examples) sample purely: do_sample, top_k 0, top_p 1.
type RolloutConfig struct {
	Generate generate.Config `yaml:"generation"`
	// MinNewTokens..MaxNewTokens bounds each batch's response length,
	// drawn uniformly per rollout (TRL's LengthSampler); equal values fix
	// it. Generation still stops a row at eos.
	MinNewTokens int `yaml:"min_new_tokens"`
	MaxNewTokens int `yaml:"max_new_tokens"`
}

// DefaultRolloutConfig samples 16 new tokens from the full distribution.
func DefaultRolloutConfig() RolloutConfig {
	g := generate.Default()
	g.DoSample, g.TopK, g.TopP = true, 0, 1
	return RolloutConfig{Generate: g, MinNewTokens: 16, MaxNewTokens: 16}
}

// Validate checks the length range and the generation config.
func (c RolloutConfig) Validate() error {
	if c.MinNewTokens < 1 || c.MaxNewTokens < c.MinNewTokens {
		return fmt.Errorf("rollout: response length range [%d, %d]: want 1 ≤ min ≤ max", c.MinNewTokens, c.MaxNewTokens)
	}
	g := c.Generate
	g.MaxNewTokens = c.MaxNewTokens
	if g.NumBeams > 1 || g.NumReturnSequences > 1 {
		return fmt.Errorf("rollout: one sampled response per query (num_beams %d, num_return_sequences %d)", g.NumBeams, g.NumReturnSequences)
	}
	return g.Validate()
}

// Rollout samples one response per query with the policy, as one batch:
// queries are left-padded with pad_token_id (generate gives left-padded
// rows HF's position ids, cumsum(mask)-1). A response is the new tokens up
// to and including eos. seed fixes the sampling stream.
func (t *PPOTrainer) Rollout(ctx context.Context, queries [][]int64, rc RolloutConfig, seed int64) ([][]int64, error) {
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
	gc := rc.Generate
	gc.MaxNewTokens = rc.MinNewTokens
	if rc.MaxNewTokens > rc.MinNewTokens {
		gc.MaxNewTokens += t.rng.IntN(rc.MaxNewTokens - rc.MinNewTokens + 1)
	}
	gc.Seed = seed
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

// Rewarder scores responses to queries: one scalar per sample.
type Rewarder interface {
	Rewards(ctx context.Context, queries, responses [][]int64) ([]float64, error)
}

// RewardFunc is a Go reward (rule rewards, tests).
type RewardFunc func(queries, responses [][]int64) ([]float64, error)

func (f RewardFunc) Rewards(_ context.Context, queries, responses [][]int64) ([]float64, error) {
	return f(queries, responses)
}

// ClassifierReward scores query+response with a GPT-2 sequence classifier:
// a `gotrl rm` reward model (one label) or any
// GPT2ForSequenceClassification checkpoint, reading logit Label (e.g. the
// "positive" class of a sentiment model, as the book's IMDB example).
// Rows are right-padded with the classifier's pad_token_id, which HF's
// classifier needs to find each row's last token.
type ClassifierReward struct {
	Model *gpt2.Classifier
	Label int
}

// LoadClassifierReward loads a GPT2ForSequenceClassification checkpoint
// dir as a reward on logit label; close frees it.
func LoadClassifierReward(dir string, label int, dev gotch.Device) (r ClassifierReward, close func(), err error) {
	m, err := models.Load(dir, models.Options{Device: dev, Architecture: "GPT2ForSequenceClassification"})
	if err != nil {
		return r, nil, fmt.Errorf("reward model: %w", err)
	}
	l, ok := m.(*gpt2.Loaded)
	if !ok || l.Classifier == nil {
		m.Close()
		return r, nil, fmt.Errorf("reward model %s: not a GPT2ForSequenceClassification checkpoint", dir)
	}
	if label < 0 || int64(label) >= l.Classifier.Config.NumLabels() {
		m.Close()
		return r, nil, fmt.Errorf("reward model %s: label %d, the classifier has %d", dir, label, l.Classifier.Config.NumLabels())
	}
	return ClassifierReward{Model: l.Classifier, Label: label}, m.Close, nil
}

// Rewards runs the classifier without gradients.
func (r ClassifierReward) Rewards(_ context.Context, queries, responses [][]int64) (scores []float64, err error) {
	c := r.Model.Config
	if r.Label < 0 || int64(r.Label) >= c.NumLabels() {
		return nil, fmt.Errorf("reward label %d: the classifier has %d labels", r.Label, c.NumLabels())
	}
	pad := int64(0)
	if c.PadTokenID != nil {
		pad = *c.PadTokenID
	} else if len(queries) > 1 {
		return nil, fmt.Errorf("reward classifier: a batch needs pad_token_id in its config.json")
	}
	rows := make([][]int64, len(queries))
	for i := range queries {
		rows[i] = append(append([]int64{}, queries[i]...), responses[i]...)
	}
	ids, mask := padRows(rows, pad, false)
	err = tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		dev, err := r.Model.WTE.Weight.Device()
		tensor.Check(err)
		out, err := r.Model.Forward(gpt2.Input{IDs: s.Add(rowsInt64(ids, dev)), Mask: s.Add(rowsInt64(mask, dev))}, false)
		tensor.Check(err)
		defer out.Close()
		col := s.T(out.Logits.Select(1, int64(r.Label), false))
		scores, err = tensor.Float64s(col)
		tensor.Check(err)
	})
	return scores, err
}

// ScoreNormalizer keeps running moments of raw rewards and maps each to
// (r − mean)/std (Normalize) or r/std (Scale), for rewards whose scale
// drifts; PPOConfig.use_score_scaling does the same inside Step.
type ScoreNormalizer struct {
	Moments   RunningMoments
	Normalize bool
}

// Apply updates the moments with scores and returns them rescaled.
func (n *ScoreNormalizer) Apply(scores []float64) []float64 {
	xs := make([]float32, len(scores))
	for i, s := range scores {
		xs[i] = float32(s)
	}
	if n.Moments.Count == 0 {
		n.Moments = NewRunningMoments()
	}
	n.Moments.Update(xs)
	out := make([]float64, len(scores))
	for i, s := range scores {
		if n.Normalize {
			s -= n.Moments.Mean
		}
		out[i] = s / (n.Moments.Std + epsFloat32)
	}
	return out
}
