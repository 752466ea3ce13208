package run

import (
	"context"
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// family is what one model family contributes to a Runner.
type family interface {
	// kind is the template kind the family reads.
	kind() prompt.Kind
	// check turns a rendering the family cannot score into an error.
	check(r *prompt.Rendered, slot int, words prompt.WordIDs) error
	// tokenLogProbs returns the log-probabilities [B, K] of the label
	// words' tokens (layout order) for every rendering at mask slot slot.
	// It builds a graph (the caller picks no-grad or train) and panics
	// with *tensor.Error on a libtorch failure.
	tokenLogProbs(rs []*prompt.Rendered, slot int, words prompt.WordIDs, train bool) *tensor.Tensor
	// maxLen is the longest sequence the model reads (positions).
	maxLen() int
	// config returns what Save writes as config.json: the config struct,
	// its model_type and the HF class.
	config() (cfg any, modelType, arch string)
}

// Runner scores label words with one model: it implements prompt.Scorer
// and scores whole batches with ScoreBatch.
type Runner struct {
	// BatchSize bounds the prompts per forward pass (default 16).
	BatchSize int
	f         family
	store     *nn.Store
}

var _ prompt.Scorer = (*Runner)(nil)

// Kind is the template kind the runner accepts: Cloze for an MLM encoder,
// Prefix for decoders and encoder-decoders.
func (r *Runner) Kind() prompt.Kind { return r.f.kind() }

// MaxLen is the model's maximum sequence length in tokens.
func (r *Runner) MaxLen() int { return r.f.maxLen() }

// Store holds the model's parameters (and soft tokens, if any).
func (r *Runner) Store() *nn.Store { return r.store }

// Close frees the model.
func (r *Runner) Close() { r.store.Close() }

// Check reports a template the runner cannot score: the wrong kind (a
// prefix template for an MLM, a cloze one for a decoder) or, for an MLM,
// no {mask}.
func (r *Runner) Check(t *prompt.Template) error {
	if t.Kind != r.Kind() {
		return fmt.Errorf("template %s is a %s template, this model needs a %s template", t.Name, t.Kind, r.Kind())
	}
	if t.Masks() == 0 {
		return fmt.Errorf("template %s has no {mask}: a %s runner scores the label words at the mask", t.Name, t.Kind)
	}
	return nil
}

// Score implements prompt.Scorer for one rendered prompt.
func (r *Runner) Score(ctx context.Context, rd *prompt.Rendered, slot int, words prompt.WordIDs) (prompt.TokenScores, error) {
	out, err := r.ScoreBatch(ctx, []*prompt.Rendered{rd}, slot, words)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ScoreBatch scores every rendering in batches of BatchSize without
// gradients; the result has one TokenScores per rendering.
func (r *Runner) ScoreBatch(ctx context.Context, rs []*prompt.Rendered, slot int, words prompt.WordIDs) ([]prompt.TokenScores, error) {
	if err := r.checkAll(rs, slot, words); err != nil {
		return nil, err
	}
	bs := r.BatchSize
	if bs <= 0 {
		bs = 16
	}
	out := make([]prompt.TokenScores, 0, len(rs))
	for lo := 0; lo < len(rs); lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := rs[lo:min(lo+bs, len(rs))]
		var scores []prompt.TokenScores
		err := tensor.NoGrad(func() {
			t := r.f.tokenLogProbs(batch, slot, words, false)
			defer tensor.Free(t)
			var err error
			scores, err = tokenScores(t, words)
			tensor.Check(err)
		})
		if err != nil {
			return nil, fmt.Errorf("score prompts %d-%d: %w", lo, lo+len(batch)-1, err)
		}
		out = append(out, scores...)
	}
	return out, nil
}

// checkAll validates a batch before any model call.
func (r *Runner) checkAll(rs []*prompt.Rendered, slot int, words prompt.WordIDs) error {
	if len(layout(words)) == 0 {
		return fmt.Errorf("score: no label words")
	}
	for i, rd := range rs {
		if slot < 0 || slot >= len(rd.Masks) {
			return fmt.Errorf("prompt %d: mask slot %d of %d (a %s runner needs a {mask} in the template)", i, slot, len(rd.Masks), r.Kind())
		}
		if err := r.f.check(rd, slot, words); err != nil {
			return fmt.Errorf("prompt %d: %w", i, err)
		}
	}
	return nil
}

// Classify classifies many examples with p, batching the model calls. It
// gives what p.Classify gives one example at a time (calibrated when
// p.Prior is set).
func (r *Runner) Classify(ctx context.Context, p *prompt.Prompt, examples []map[string]string) ([]prompt.Prediction, error) {
	if err := r.Check(p.Template); err != nil {
		return nil, err
	}
	rs := make([]*prompt.Rendered, len(examples))
	for i, ex := range examples {
		rd, err := p.Render(ex)
		if err != nil {
			return nil, fmt.Errorf("example %d: %w", i, err)
		}
		rs[i] = rd
	}
	return r.classifyRendered(ctx, p, rs)
}

// classifyRendered scores prompts rendered from p and predicts their labels.
func (r *Runner) classifyRendered(ctx context.Context, p *prompt.Prompt, rs []*prompt.Rendered) ([]prompt.Prediction, error) {
	scores, err := r.ScoreBatch(ctx, rs, 0, p.Words())
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", p.Template.Name, err)
	}
	preds := make([]prompt.Prediction, len(scores))
	for i, ts := range scores {
		if preds[i], err = predict(p, ts); err != nil {
			return nil, fmt.Errorf("prompt %s: example %d: %w", p.Template.Name, i, err)
		}
	}
	return preds, nil
}

// predict turns token scores into a prediction as prompt.Prompt.Classify
// does: verbalizer scores, softmax, calibration, argmax.
func predict(p *prompt.Prompt, ts prompt.TokenScores) (prompt.Prediction, error) {
	scores, err := p.Verbalizer.LabelScores(ts)
	if err != nil {
		return prompt.Prediction{}, err
	}
	probs, err := p.Verbalizer.Probs(ts)
	if err != nil {
		return prompt.Prediction{}, err
	}
	if p.Prior != nil {
		if probs, err = prompt.Calibrate(probs, p.Prior); err != nil {
			return prompt.Prediction{}, err
		}
	}
	best := 0
	for i, v := range probs {
		if v > probs[best] {
			best = i
		}
	}
	return prompt.Prediction{Label: best, Scores: scores, Probs: probs}, nil
}
