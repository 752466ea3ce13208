package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/metrics"
)

const evalClassifyLong = `Accuracy, macro-F1 (the unweighted mean of per-label F1, labels that never
occur included) and the confusion matrix (rows gold, columns predicted), as
scikit-learn computes them with zero_division=0; scores in percent.
"prediction" and "reference" are labels: strings, or integers such as
ChnSentiCorp's 0/1.

--labels fixes the label set and its order; a prediction or reference outside
it is an error naming file, line and field. Without --labels the set is every
label seen in either field, sorted (numerically when all are integers), as
sklearn does. --output lines: {"line", "prediction", "reference", "correct"}.`

func newEvalClassifyCmd() *cobra.Command {
	var labels []string
	cmd := evalSubcommand(&cobra.Command{
		Use:     "classify",
		Short:   "Accuracy, macro-F1 and the confusion matrix of predicted labels",
		Long:    evalClassifyLong,
		Example: "  gotrl eval classify --input sentiment_pred.jsonl --field reference=label --labels 0,1",
	}, data.Record.Label, func(cmd *cobra.Command, e *evalFlags, exs []evalExample) error {
		return scoreClassify(cmd, e, exs, labels)
	})
	cmd.Flags().StringSliceVar(&labels, "labels", nil, "the label set, in confusion-matrix order (default: every label seen, sorted)")
	return cmd
}

// scoreClassify reports accuracy, macro-F1 and the confusion matrix over
// labels (nil: every label seen).
func scoreClassify(cmd *cobra.Command, e *evalFlags, exs []evalExample, labels []string) error {
	set := labels
	if len(set) == 0 {
		set = seenLabels(exs)
	}
	c, err := metrics.NewConfusion(set, nil, nil)
	if err != nil {
		return fmt.Errorf("--labels: %w", err)
	}
	per := make([]any, len(exs))
	for i, ex := range exs {
		for _, x := range []struct {
			pos   data.Pos
			field string
			label string
		}{{ex.RefPos, "reference", ex.Reference}, {ex.Pos, "prediction", ex.Prediction}} {
			if !slices.Contains(set, x.label) {
				return e.fieldError(x.pos, x.field, fmt.Errorf("label %q is not one of --labels %s", x.label, strings.Join(set, ",")))
			}
		}
		_ = c.Add(ex.Reference, ex.Prediction) // both checked above
		per[i] = map[string]any{"line": ex.Pos.Line, "prediction": ex.Prediction, "reference": ex.Reference, "correct": ex.Prediction == ex.Reference}
	}
	return e.report(cmd.OutOrStdout(), classifyTable(c), classifyJSON(c), per)
}

// seenLabels is sklearn's unique_labels: every label of either field,
// sorted, numerically when all are integers.
func seenLabels(exs []evalExample) []string {
	var set []string
	for _, ex := range exs {
		for _, l := range []string{ex.Reference, ex.Prediction} {
			if !slices.Contains(set, l) {
				set = append(set, l)
			}
		}
	}
	slices.SortFunc(set, func(a, b string) int {
		x, errA := strconv.ParseInt(a, 10, 64)
		y, errB := strconv.ParseInt(b, 10, 64)
		if errA == nil && errB == nil {
			return cmp.Compare(x, y)
		}
		return strings.Compare(a, b)
	})
	return set
}

func classifyTable(c *metrics.Confusion) string {
	head := metrics.Table([][]string{
		{"examples", strconv.Itoa(c.Total())},
		{"accuracy", pct(c.Accuracy())},
		{"macro-f1", pct(c.MacroF1())},
	})
	rows := [][]string{{"label", "precision", "recall", "f1", "support"}}
	for _, s := range c.PerClass() {
		rows = append(rows, []string{s.Label, pct(s.Precision), pct(s.Recall), pct(s.F1), strconv.Itoa(s.Support)})
	}
	return head + "\n" + metrics.Table(rows) + "\n" + c.String()
}

func classifyJSON(c *metrics.Confusion) map[string]any {
	var per []map[string]any
	for _, s := range c.PerClass() {
		per = append(per, map[string]any{"label": s.Label, "precision": 100 * s.Precision, "recall": 100 * s.Recall, "f1": 100 * s.F1, "support": s.Support})
	}
	return map[string]any{"examples": c.Total(), "accuracy": 100 * c.Accuracy(), "macro-f1": 100 * c.MacroF1(),
		"labels": c.Labels, "confusion": c.Counts, "per_class": per}
}
