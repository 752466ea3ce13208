package run

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/metrics"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// Examples turns labeled texts into prompt examples: the text fills field
// (text_a in the book's templates) and the label is its decimal string, so
// a verbalizer names labels "0" and "1" as ChnSentiCorp does.
func Examples(xs []data.Labeled, field string) []prompt.Example {
	out := make([]prompt.Example, len(xs))
	for i, x := range xs {
		out[i] = prompt.Example{Fields: map[string]string{field: x.Text}, Label: strconv.Itoa(x.Label)}
	}
	return out
}

// Result is one classifier's score on a labeled set.
type Result struct {
	Name      string
	Accuracy  float64
	MacroF1   float64
	Confusion *metrics.Confusion
	Preds     []prompt.Prediction
}

// Evaluate classifies every example with p (after d.K demonstrations
// drawn from d.Pool when d.K > 0) and scores the predictions.
func Evaluate(ctx context.Context, r *Runner, p *prompt.Prompt, exs []prompt.Example, d prompt.Demos) (*Result, error) {
	preds, err := classifyAll(ctx, r, p, exs, d)
	if err != nil {
		return nil, err
	}
	return score(p.Template.Name, p.Verbalizer.Labels, exs, preds)
}

// EvaluateEnsemble classifies with every prompt and combines each
// example's predictions with prompt.Combine (method m, equal weights).
func EvaluateEnsemble(ctx context.Context, r *Runner, ps []*prompt.Prompt, exs []prompt.Example, m prompt.Method) (*Result, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("ensemble: no prompts")
	}
	all := make([][]prompt.Prediction, len(ps))
	name := "ensemble(" + string(m) + "):"
	for k, p := range ps {
		preds, err := classifyAll(ctx, r, p, exs, prompt.Demos{})
		if err != nil {
			return nil, err
		}
		all[k] = preds
		name += " " + p.Template.Name
	}
	combined := make([]prompt.Prediction, len(exs))
	for i := range exs {
		per := make([]prompt.Prediction, len(ps))
		for k := range ps {
			per[k] = all[k][i]
		}
		c, err := prompt.Combine(per, m, nil)
		if err != nil {
			return nil, fmt.Errorf("example %d: %w", i, err)
		}
		combined[i] = c
	}
	return score(name, ps[0].Verbalizer.Labels, exs, combined)
}

// classifyAll renders every example (with demonstrations when d.K > 0)
// and scores them in batches.
func classifyAll(ctx context.Context, r *Runner, p *prompt.Prompt, exs []prompt.Example, d prompt.Demos) ([]prompt.Prediction, error) {
	if d.K <= 0 {
		fields := make([]map[string]string, len(exs))
		for i, ex := range exs {
			fields[i] = ex.Fields
		}
		return r.Classify(ctx, p, fields)
	}
	if err := r.Check(p.Template); err != nil {
		return nil, err
	}
	rs := make([]*prompt.Rendered, len(exs))
	for i, ex := range exs {
		demos, err := d.Select(ex.Fields, p.Verbalizer.Labels)
		if err != nil {
			return nil, fmt.Errorf("example %d: %w", i, err)
		}
		if rs[i], _, err = p.RenderWithDemos(ex.Fields, demos, d.Sep, d.Strict); err != nil {
			return nil, fmt.Errorf("example %d: %d demonstrations: %w", i, d.K, err)
		}
	}
	return r.classifyRendered(ctx, p, rs)
}

// score compares predictions with the gold labels.
func score(name string, labels []string, exs []prompt.Example, preds []prompt.Prediction) (*Result, error) {
	gold, pred := make([]string, len(exs)), make([]string, len(exs))
	for i, ex := range exs {
		gold[i], pred[i] = ex.Label, labels[preds[i].Label]
	}
	c, err := metrics.NewConfusion(labels, gold, pred)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Result{Name: name, Accuracy: c.Accuracy(), MacroF1: c.MacroF1(), Confusion: c, Preds: preds}, nil
}
