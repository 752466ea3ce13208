// Package metrics scores model outputs against references:
//
//   - classifiers: accuracy, per-class precision, recall and F1, macro-F1
//     and the confusion matrix, with scikit-learn's conventions (a 0/0
//     ratio counts as 0, sklearn's zero_division=0);
//   - generated summaries: per-example ROUGE-1/2/L F1 and corpus BLEU-4 as
//     sacrebleu computes it, over the tokens of Tokens (one token per CJK
//     character, one per run of letters and digits);
//   - extracted relations: micro precision, recall and F1 over exact
//     (head, relation, tail) triples.
//
// It is pure Go: `gotrl eval` and its tests run without libtorch.
package metrics

import "fmt"

// Accuracy is the fraction of positions where pred equals gold.
func Accuracy[T comparable](gold, pred []T) (float64, error) {
	if err := checkLens(len(gold), len(pred)); err != nil {
		return 0, err
	}
	right := 0
	for i := range gold {
		if gold[i] == pred[i] {
			right++
		}
	}
	return float64(right) / float64(len(gold)), nil
}

func checkLens(gold, pred int) error {
	if gold != pred {
		return fmt.Errorf("metrics: %d gold labels, %d predictions", gold, pred)
	}
	if gold == 0 {
		return fmt.Errorf("metrics: no examples")
	}
	return nil
}

// ratio returns a/b, or 0 when b is 0 (sklearn's zero_division=0).
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
