package prompt

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// stubScorer stands in for a model runner: every token of every word of
// label i scores log(p[i]), where p comes from the first rule whose key
// occurs in the rendered text. With mean/mean aggregation the verbalizer
// then yields exactly p as the label distribution (when p sums to 1).
type stubScorer struct {
	rules []rule
	seen  []string // rendered texts, in call order
	slots []int
}

type rule struct {
	key string
	p   []float64
}

func (s *stubScorer) Score(_ context.Context, r *Rendered, slot int, words WordIDs) (TokenScores, error) {
	s.seen = append(s.seen, r.Text)
	s.slots = append(s.slots, slot)
	for _, ru := range s.rules {
		if !strings.Contains(r.Text, ru.key) {
			continue
		}
		if len(ru.p) != len(words) {
			return nil, fmt.Errorf("stub: rule %q has %d labels, words have %d", ru.key, len(ru.p), len(words))
		}
		out := make(TokenScores, len(words))
		for i, ws := range words {
			for _, toks := range ws {
				row := make([]float64, len(toks))
				for j := range row {
					row[j] = math.Log(ru.p[i])
				}
				out[i] = append(out[i], row)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("stub: no rule matches %q", r.Text)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func nearAll(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i]) {
			return false
		}
	}
	return true
}
