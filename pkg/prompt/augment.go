package prompt

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

// Example is a labelled training example.
type Example struct {
	Fields map[string]string
	Label  string
}

// Demos configures prompt augmentation with demonstrations (GPT-3's
// in-context examples; LM-BFF, Gao et al. 2021): K labelled examples are
// rendered with their label word in place of the mask and put before the
// query.
type Demos struct {
	Pool []Example
	K    int
	// Seed makes the draw reproducible: the same pool, seed and query give
	// the same demonstrations.
	Seed uint64
	// Balanced draws round-robin over the verbalizer's labels, in their
	// order, so every label appears before any appears twice.
	Balanced bool
	// Sep goes between demonstrations and before the query; "\n" when empty.
	Sep string
	// Strict turns dropping demonstrations to fit MaxLen into an error.
	Strict bool
}

// Select draws up to K demonstrations from the pool, skipping examples
// whose fields equal the query's. labels orders the labels for Balanced;
// a pool example with another label is an error. Fewer than K come back
// when the pool is small.
func (d Demos) Select(query map[string]string, labels []string) ([]Example, error) {
	if d.K <= 0 {
		return nil, nil
	}
	if len(d.Pool) == 0 {
		return nil, fmt.Errorf("demonstrations: empty pool, want %d", d.K)
	}
	rng := rand.New(rand.NewPCG(d.Seed, 0x9e3779b97f4a7c15))
	order := rng.Perm(len(d.Pool))
	var cand []Example
	for _, i := range order {
		if !maps.Equal(d.Pool[i].Fields, query) {
			cand = append(cand, d.Pool[i])
		}
	}
	if !d.Balanced {
		return cand[:min(d.K, len(cand))], nil
	}
	byLabel := make([][]Example, len(labels))
	for _, ex := range cand {
		i := slices.Index(labels, ex.Label)
		if i < 0 {
			return nil, fmt.Errorf("demonstrations: example label %q is not one of %v", ex.Label, labels)
		}
		byLabel[i] = append(byLabel[i], ex)
	}
	var out []Example
	for round := 0; len(out) < min(d.K, len(cand)); round++ {
		for _, group := range byLabel {
			if round < len(group) && len(out) < d.K {
				out = append(out, group[round])
			}
		}
	}
	return out, nil
}

// RenderWithDemos renders example after the given demonstrations. Each
// demonstration is the template with its fields filled and the mask
// replaced by its label's first label word, followed by sep; soft tokens
// and {sep} appear only in the query. The query is never truncated to make
// room: while the prompt is longer than p.MaxLen the last demonstration is
// dropped (an error instead when strict). If no demonstration fits, it is
// an error that gives the lengths. It returns the demonstrations used.
func (p *Prompt) RenderWithDemos(example map[string]string, demos []Example, sep string, strict bool) (*Rendered, []Example, error) {
	t := p.Template
	if len(demos) == 0 {
		r, err := p.Render(example)
		return r, nil, err
	}
	if sep == "" {
		sep = "\n"
	}
	// Demonstrations are literal text, so each tokenizes on its own; the
	// separator before the query goes with the query, whose first field may
	// take its trailing spaces.
	sepPart := Part{Kind: Text, Text: sep}
	shown := make([][]segment, len(demos))
	for i, d := range demos {
		parts, err := p.demoParts(d)
		if err != nil {
			return nil, nil, err
		}
		if i > 0 {
			parts = append([]Part{sepPart}, parts...)
		}
		if shown[i], err = t.partSegments(parts, nil, p.Tok); err != nil {
			return nil, nil, err
		}
	}
	query, err := t.partSegments(append([]Part{sepPart}, t.Parts...), example, p.Tok)
	if err != nil {
		return nil, nil, err
	}
	oneLen := 0
	for k := len(demos); k >= 1; k-- {
		var body []segment
		for _, d := range shown[:k] {
			body = append(body, d...)
		}
		segs := t.wrap(append(body, query...), p.Tok)
		total, _ := need(segs)
		if p.MaxLen <= 0 || total <= p.MaxLen {
			r, err := t.fit(segs, p.Tok, p.MaxLen)
			return r, demos[:k], err
		}
		if strict {
			return nil, nil, fmt.Errorf("prompt %s: %d demonstrations need %d tokens, max length is %d", t.Name, k, total, p.MaxLen)
		}
		oneLen = total
	}
	body, err := t.partSegments(t.Parts, example, p.Tok)
	if err != nil {
		return nil, nil, err
	}
	alone, _ := need(t.wrap(body, p.Tok))
	return nil, nil, fmt.Errorf("prompt %s: no demonstration fits in max length %d: the query alone needs %d tokens, with one demonstration %d",
		t.Name, p.MaxLen, alone, oneLen)
}

// demoParts writes demonstration d as literal parts of the template.
func (p *Prompt) demoParts(d Example) ([]Part, error) {
	t := p.Template
	li := p.Verbalizer.Index(d.Label)
	if li < 0 {
		return nil, fmt.Errorf("prompt %s: demonstration label %q is not one of %v", t.Name, d.Label, p.Verbalizer.Labels)
	}
	var parts []Part
	for _, part := range t.Parts {
		lit := Part{Kind: Text, Pos: part.Pos}
		switch part.Kind {
		case Text:
			lit.Text = part.Text
		case Field:
			v, ok := d.Fields[part.Name]
			if !ok {
				return nil, fmt.Errorf("prompt %s: demonstration has no field %q", t.Name, part.Name)
			}
			lit.Text = v
		case Mask:
			lit.Text = p.Verbalizer.Words[li][0]
		default:
			continue
		}
		parts = append(parts, lit)
	}
	return parts, nil
}

// ClassifyWithDemos draws demonstrations for example with d, renders them
// before it and classifies.
func (p *Prompt) ClassifyWithDemos(ctx context.Context, s Scorer, example map[string]string, d Demos) (Prediction, []Example, error) {
	demos, err := d.Select(example, p.Verbalizer.Labels)
	if err != nil {
		return Prediction{}, nil, fmt.Errorf("prompt %s: %w", p.Template.Name, err)
	}
	r, used, err := p.RenderWithDemos(example, demos, d.Sep, d.Strict)
	if err != nil {
		return Prediction{}, nil, err
	}
	pred, err := p.classify(ctx, s, r)
	return pred, used, err
}
