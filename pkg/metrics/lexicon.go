package metrics

import "strings"

// Lexicon is the rule baseline of generative extraction: it predicts, for a
// text, every triple seen in training whose head and tail both occur in the
// text. It knows nothing a model could not learn from the same data, so a
// model below it has not learned to read the text.
type Lexicon struct {
	triples []Triple
}

// NewLexicon collects the distinct triples of training answers (the
// head_relation_tail format; malformed lines are ignored).
func NewLexicon(answers []string) *Lexicon {
	var l Lexicon
	seen := map[Triple]bool{}
	for _, a := range answers {
		ts, _ := ParseTriples(a)
		for _, t := range ts {
			if !seen[t] {
				seen[t] = true
				l.triples = append(l.triples, t)
			}
		}
	}
	return &l
}

// Len is the number of distinct triples known.
func (l *Lexicon) Len() int { return len(l.triples) }

// Predict returns the known triples found in text, one per line, in the
// order they were first seen in training.
func (l *Lexicon) Predict(text string) string {
	var lines []string
	for _, t := range l.triples {
		if strings.Contains(text, t.Head) && strings.Contains(text, t.Tail) {
			lines = append(lines, t.Head+"_"+t.Relation+"_"+t.Tail)
		}
	}
	return strings.Join(lines, "\n")
}
