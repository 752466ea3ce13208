package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/metrics"
)

const evalTriplesLong = `Micro precision, recall and F1 (percent) over exact (head, relation, tail)
triples, summed over all examples. Prediction and reference are texts in the
generative-extraction answer format (fault-ie's "answer", what SFT on
data.FaultIE learns): one head_relation_tail per line, e.g.

  发动机_部件故障_水温高
  风扇_部件故障_低速转动

A line splits at its first and last underscore; spaces around each part are
trimmed; blank lines are skipped; a triple repeated in one example counts
once. A prediction line that is not head_relation_tail (fewer than two
underscores, or an empty part) counts as one wrong predicted triple and is
reported under "malformed" — it is not an error. An empty prediction predicts
nothing (recall 0 for that example); an empty reference has no triples. A
malformed reference line is an error. --output lines: {"line", "correct",
"predicted", "gold", "malformed", "precision", "recall", "f1"}.`

func newEvalTriplesCmd() *cobra.Command {
	var lexFile, sep string
	var lex *metrics.Lexicon
	// With --lexicon the prediction is the rule baseline's, read from the
	// "source" text, so it is scored by the same code as a model.
	read := func(r data.Record, name string) (string, error) {
		if name != "prediction" || lex == nil {
			s, err := textField(r, name)
			if sep != "" {
				s = strings.ReplaceAll(s, sep, "\n")
			}
			return s, err
		}
		s, err := r.String("source")
		return lex.Predict(s), err
	}
	cmd := evalSubcommand(&cobra.Command{
		Use:   "triples",
		Short: "Micro P/R/F1 of extracted head_relation_tail triples",
		Long:  evalTriplesLong,
		Example: "  gotrl eval triples --input ie_pred.jsonl --field reference=answer\n" +
			"  gotrl eval triples --input ie_test.jsonl --fields source=prompt --fields reference=response --lexicon ie_train.jsonl",
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if lexFile == "" {
				return nil
			}
			answers, err := data.ReadTexts(lexFile, "response", data.Options{})
			if err != nil {
				return fmt.Errorf("--lexicon: %w", err)
			}
			for i := range answers {
				if sep != "" {
					answers[i] = strings.ReplaceAll(answers[i], sep, "\n")
				}
			}
			lex = metrics.NewLexicon(answers)
			return nil
		},
	}, read, scoreTriples)
	cmd.Flags().StringVar(&sep, "separator", "", "string between an answer's triples instead of a line break (BERT's tokenizer drops line breaks: give data triples and eval triples the same, e.g. '；')")
	cmd.Flags().StringVar(&lexFile, "lexicon", "", "rule baseline: predict every triple of this file's \"response\" answers (training data) whose head and tail occur in the record's \"source\" text")
	return cmd
}

// scoreTriples reports micro P/R/F1.
func scoreTriples(cmd *cobra.Command, e *evalFlags, exs []evalExample) error {
	var total metrics.TripleCounts
	per := make([]any, len(exs))
	for i, ex := range exs {
		c, malformed, err := metrics.ScoreTriples(ex.Prediction, ex.Reference)
		if err != nil {
			return e.fieldError(ex.RefPos, "reference", err)
		}
		if malformed == nil {
			malformed = []string{} // [] rather than null in JSON
		}
		total.Add(c)
		per[i] = map[string]any{"line": ex.Pos.Line, "correct": c.Correct, "predicted": c.Predicted, "gold": c.Gold,
			"malformed": malformed, "precision": 100 * c.Precision(), "recall": 100 * c.Recall(), "f1": 100 * c.F1()}
	}
	out := map[string]any{"examples": len(exs), "precision": 100 * total.Precision(), "recall": 100 * total.Recall(),
		"f1": 100 * total.F1(), "correct": total.Correct, "predicted": total.Predicted, "gold": total.Gold, "malformed": total.Malformed}
	table := metrics.Table([][]string{
		{"examples", strconv.Itoa(len(exs))},
		{"precision", pct(total.Precision())},
		{"recall", pct(total.Recall())},
		{"f1", pct(total.F1())},
		{"correct", strconv.Itoa(total.Correct)},
		{"predicted", strconv.Itoa(total.Predicted)},
		{"gold", strconv.Itoa(total.Gold)},
		{"malformed", strconv.Itoa(total.Malformed)},
	})
	return e.report(cmd.OutOrStdout(), table, out, per)
}
