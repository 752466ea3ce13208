package metrics

import (
	"fmt"
	"strings"
)

// Triple is a (head, relation, tail) relation, compared exactly.
type Triple struct {
	Head, Relation, Tail string
}

// ParseTriples reads the generative-extraction answer format that
// pkg/data.FormatTriples writes: one head_relation_tail per line. A line is
// split at its first and its last underscore (entity names cannot contain
// one; a relation can), and each part is trimmed of surrounding spaces, so
// a decoder's "abs _部件故障_ 失效" reads as written by FormatTriples. Blank
// lines are skipped and duplicates kept once. A line without two
// underscores or with an empty part is returned in malformed (each distinct
// line once), not as an error: in a prediction it is a wrong answer.
func ParseTriples(text string) (triples []Triple, malformed []string) {
	seen := map[Triple]bool{}
	bad := map[string]bool{}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		t, ok := parseTriple(line)
		switch {
		case !ok && !bad[line]:
			bad[line] = true
			malformed = append(malformed, line)
		case ok && !seen[t]:
			seen[t] = true
			triples = append(triples, t)
		}
	}
	return triples, malformed
}

func parseTriple(line string) (Triple, bool) {
	i, j := strings.Index(line, "_"), strings.LastIndex(line, "_")
	if i < 0 || i == j {
		return Triple{}, false
	}
	t := Triple{
		Head:     strings.TrimSpace(line[:i]),
		Relation: strings.TrimSpace(line[i+1 : j]),
		Tail:     strings.TrimSpace(line[j+1:]),
	}
	return t, t.Head != "" && t.Relation != "" && t.Tail != ""
}

// TripleCounts are the micro-averaging counts of triple extraction.
type TripleCounts struct {
	Correct   int // predicted triples that are in the reference
	Predicted int // distinct predicted triples, malformed lines included
	Gold      int // distinct reference triples
	Malformed int // distinct malformed prediction lines (never correct)
}

// ScoreTriples compares one prediction with its reference, both in the
// FormatTriples format, and returns the prediction's malformed lines too.
// Malformed prediction lines count as wrong triples; a malformed reference
// line is an error, since the reference is data.
func ScoreTriples(prediction, reference string) (c TripleCounts, malformed []string, err error) {
	gold, bad := ParseTriples(reference)
	if len(bad) > 0 {
		return c, nil, fmt.Errorf("reference line %q is not head_relation_tail", bad[0])
	}
	pred, malformed := ParseTriples(prediction)
	in := make(map[Triple]bool, len(gold))
	for _, t := range gold {
		in[t] = true
	}
	c = TripleCounts{Predicted: len(pred) + len(malformed), Gold: len(gold), Malformed: len(malformed)}
	for _, t := range pred {
		if in[t] {
			c.Correct++
		}
	}
	return c, malformed, nil
}

// Add sums counts (micro averaging).
func (c *TripleCounts) Add(o TripleCounts) {
	c.Correct += o.Correct
	c.Predicted += o.Predicted
	c.Gold += o.Gold
	c.Malformed += o.Malformed
}

// Precision is Correct/Predicted (0 when nothing was predicted).
func (c TripleCounts) Precision() float64 { return ratio(c.Correct, c.Predicted) }

// Recall is Correct/Gold (0 when the reference has no triple).
func (c TripleCounts) Recall() float64 { return ratio(c.Correct, c.Gold) }

// F1 is 2·Correct/(Predicted+Gold), the harmonic mean of precision and
// recall (0 when both are 0).
func (c TripleCounts) F1() float64 { return ratio(2*c.Correct, c.Predicted+c.Gold) }
