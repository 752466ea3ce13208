package metrics

import "math"

// bleuOrder is BLEU-4's largest n-gram order.
const bleuOrder = 4

// BLEUStats accumulates corpus BLEU's sufficient statistics over examples,
// as sacrebleu's BLEU.corpus_score does with one reference per example.
type BLEUStats struct {
	Correct [bleuOrder]int // clipped n-gram matches, n = 1…4
	Total   [bleuOrder]int // predicted n-grams, n = 1…4
	SysLen  int            // predicted tokens
	RefLen  int            // reference tokens
}

// Add counts one tokenized prediction against its reference.
func (s *BLEUStats) Add(pred, ref []string) {
	for n := 1; n <= bleuOrder; n++ {
		s.Correct[n-1] += ngramOverlap(pred, ref, n)
		s.Total[n-1] += max(len(pred)-n+1, 0)
	}
	s.SysLen += len(pred)
	s.RefLen += len(ref)
}

// BLEU is a corpus BLEU-4 score with its parts, in sacrebleu's units.
type BLEU struct {
	Score      float64            // 0–100
	Precisions [bleuOrder]float64 // smoothed n-gram precisions, 0–100
	BP         float64            // brevity penalty, 0–1
	BLEUStats
}

// Score computes BLEU-4 as sacrebleu 2.4's BLEU.compute_bleu does with its
// defaults (smooth_method="exp", effective_order=False):
//
//   - BP = exp(1 − ref_len/sys_len) when sys_len < ref_len (0 when
//     sys_len = 0), else 1;
//   - no clipped match of any order gives 0 at once (sacrebleu #141);
//   - p_n = 100·correct_n/total_n; an order with total_n > 0 but no match
//     gets the "exp" smoothing (NIST mteval-v13a): 100/(2^k·total_n) for
//     the k-th such order;
//   - an order with no predicted n-gram at all (every prediction shorter
//     than n) leaves p_n = 0 for it and every higher order, and log 0 makes
//     the score 0;
//   - score = BP·exp(mean over n = 1…4 of ln p_n).
func (s BLEUStats) Score() BLEU {
	b := BLEU{BLEUStats: s, BP: 1}
	if s.SysLen < s.RefLen {
		b.BP = 0
		if s.SysLen > 0 {
			b.BP = math.Exp(1 - float64(s.RefLen)/float64(s.SysLen))
		}
	}
	if s.Correct == [bleuOrder]int{} {
		return b
	}
	smooth := 1.0
	for n := range bleuOrder {
		if s.Total[n] == 0 {
			return b // p_n and beyond stay 0: exp(log 0) = 0
		}
		if s.Correct[n] == 0 {
			smooth *= 2
			b.Precisions[n] = 100 / (smooth * float64(s.Total[n]))
		} else {
			b.Precisions[n] = 100 * float64(s.Correct[n]) / float64(s.Total[n])
		}
	}
	logs := 0.0
	for _, p := range b.Precisions {
		logs += math.Log(p)
	}
	b.Score = b.BP * math.Exp(logs/bleuOrder)
	return b
}
