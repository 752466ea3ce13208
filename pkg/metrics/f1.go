package metrics

import "strconv"

// ClassScore holds one label's precision, recall and F1, and its support
// (the number of gold examples), as in sklearn's classification_report.
type ClassScore struct {
	Label                 string
	Precision, Recall, F1 float64
	Support               int
}

// PerClass scores every label one-vs-rest. A ratio with a zero denominator
// is 0 (sklearn's zero_division=0); F1 is 2TP / (2TP + FP + FN).
func (c *Confusion) PerClass() []ClassScore {
	out := make([]ClassScore, len(c.Labels))
	for k, l := range c.Labels {
		tp, fp, fn := c.Counts[k][k], 0, 0
		for i := range c.Labels {
			if i != k {
				fp += c.Counts[i][k]
				fn += c.Counts[k][i]
			}
		}
		out[k] = ClassScore{
			Label:     l,
			Precision: ratio(tp, tp+fp),
			Recall:    ratio(tp, tp+fn),
			F1:        ratio(2*tp, 2*tp+fp+fn),
			Support:   tp + fn,
		}
	}
	return out
}

// MacroF1 is the unweighted mean of the per-class F1 over all labels,
// including labels that never occur (their F1 is 0), as
// sklearn.metrics.f1_score(average="macro", labels=labels, zero_division=0).
func (c *Confusion) MacroF1() float64 {
	sum := 0.0
	for _, s := range c.PerClass() {
		sum += s.F1
	}
	return sum / float64(len(c.Labels))
}

// MacroF1 builds the confusion matrix of gold and pred over labels and
// returns its macro-F1.
func MacroF1(labels, gold, pred []string) (float64, error) {
	if err := checkLens(len(gold), len(pred)); err != nil {
		return 0, err
	}
	c, err := NewConfusion(labels, gold, pred)
	if err != nil {
		return 0, err
	}
	return c.MacroF1(), nil
}

// Report renders the per-class scores, the accuracy and the macro
// average as a text table (sklearn's classification_report layout).
func (c *Confusion) Report() string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	rows := [][]string{{"", "precision", "recall", "f1", "support"}}
	var mp, mr float64
	for _, s := range c.PerClass() {
		rows = append(rows, []string{s.Label, f(s.Precision), f(s.Recall), f(s.F1), strconv.Itoa(s.Support)})
		mp += s.Precision
		mr += s.Recall
	}
	n := float64(len(c.Labels))
	total := strconv.Itoa(c.Total())
	rows = append(rows,
		[]string{"accuracy", "", "", f(c.Accuracy()), total},
		[]string{"macro avg", f(mp / n), f(mr / n), f(c.MacroF1()), total},
	)
	return Table(rows)
}
