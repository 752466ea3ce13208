package metrics

import "strings"

// ROUGE is one example's ROUGE F1 scores against its single reference, as
// fractions in [0, 1] (Google's rouge-score fmeasure with one reference).
type ROUGE struct {
	R1, R2, L float64
}

// ScoreROUGE scores a tokenized prediction against its reference: ROUGE-1
// and ROUGE-2 on clipped n-gram overlap, ROUGE-L on the longest common
// subsequence. Each is F1 = 2PR/(P+R) = 2·overlap/(|pred|+|ref|), counted
// in n-grams; it is 0 when either side has no n-gram of that order (an
// empty prediction scores 0).
func ScoreROUGE(pred, ref []string) ROUGE {
	return ROUGE{
		R1: f1(ngramOverlap(pred, ref, 1), len(pred), len(ref)),
		R2: f1(ngramOverlap(pred, ref, 2), max(len(pred)-1, 0), max(len(ref)-1, 0)),
		L:  f1(lcs(pred, ref), len(pred), len(ref)),
	}
}

// f1 is 2·overlap/(predicted+gold): the harmonic mean of precision
// overlap/predicted and recall overlap/gold, 0 when either is 0.
func f1(overlap, predicted, gold int) float64 {
	if overlap == 0 {
		return 0
	}
	return 2 * float64(overlap) / float64(predicted+gold)
}

// ngrams counts the n-grams of toks (keys join tokens with a separator no
// token contains, since Tokens drops control characters).
func ngrams(toks []string, n int) map[string]int {
	out := map[string]int{}
	for i := 0; i+n <= len(toks); i++ {
		out[strings.Join(toks[i:i+n], "\x00")]++
	}
	return out
}

// ngramOverlap is Σ min(count in pred, count in ref) over n-grams: the
// clipped matches of ROUGE-N and of BLEU's modified precision.
func ngramOverlap(pred, ref []string, n int) int {
	return clipped(ngrams(pred, n), ngrams(ref, n))
}

func clipped(pred, ref map[string]int) int {
	m := 0
	for g, c := range pred {
		m += min(c, ref[g])
	}
	return m
}

// lcs is the length of the longest common subsequence (O(|a|·|b|) time,
// O(|b|) memory).
func lcs(a, b []string) int {
	row := make([]int, len(b)+1)
	for i := range a {
		diag := 0 // row[j] of the previous i
		for j := range b {
			up := row[j+1]
			switch {
			case a[i] == b[j]:
				row[j+1] = diag + 1
			case row[j] > up:
				row[j+1] = row[j]
			}
			diag = up
		}
	}
	return row[len(b)]
}
