package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestScoreROUGE(t *testing.T) {
	tests := []struct {
		name, pred, ref string
		want            ROUGE
	}{
		// 5 and 6 tokens, all 5 unigrams and 4 bigrams of pred in ref, LCS 5.
		{"deletion", "基于图神经", "基于图神经网", ROUGE{R1: 2 * 5.0 / 11, R2: 2 * 4.0 / 9, L: 2 * 5.0 / 11}},
		// swap: 图神经|基于 vs 基于图神经: unigrams 5/5, bigrams 图神/神经/经基/基于 vs
		// 基于/于图/图神/神经: 3 shared; LCS 图神经 = 3.
		{"swap", "图神经基于", "基于图神经", ROUGE{R1: 1, R2: 2 * 3.0 / 8, L: 2 * 3.0 / 10}},
		// clipping: 的 ×4 against one 的: 1 unigram match of 4 and 2.
		{"clipped repeats", "的的的的", "的研", ROUGE{R1: 2 * 1.0 / 6, R2: 0, L: 2 * 1.0 / 6}},
		{"empty prediction", "", "基于图", ROUGE{}},
		{"punctuation only", "。，！", "基于图", ROUGE{}},
		{"one token each", "图", "图", ROUGE{R1: 1, R2: 0, L: 1}},
		{"latin words", "LSTM 模型", "lstm的模型", ROUGE{R1: 2 * 3.0 / 7, R2: 2 * 1.0 / 5, L: 2 * 3.0 / 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScoreROUGE(Tokens(tt.pred), Tokens(tt.ref))
			if math.Abs(got.R1-tt.want.R1) > 1e-12 || math.Abs(got.R2-tt.want.R2) > 1e-12 || math.Abs(got.L-tt.want.L) > 1e-12 {
				t.Errorf("ScoreROUGE(%q, %q) = %+v, want %+v", tt.pred, tt.ref, got, tt.want)
			}
		})
	}
}

func TestLCS(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 0}, {"abc", "abc", 3}, {"abcbdab", "bdcaba", 4}, {"axbycz", "abc", 3}, {"abc", "cba", 1},
	}
	for _, tt := range tests {
		if got := lcs(strings.Split(tt.a, ""), strings.Split(tt.b, "")); got != tt.want {
			t.Errorf("lcs(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSummaryMeans(t *testing.T) {
	var s Summary
	if r := s.ROUGE(); r != (ROUGE{}) {
		t.Errorf("empty Summary ROUGE = %+v", r)
	}
	s.Add("基于图", "基于图") // 1, 1, 1
	s.Add("", "基于图")    // 0, 0, 0
	if r := s.ROUGE(); r != (ROUGE{R1: 0.5, R2: 0.5, L: 0.5}) {
		t.Errorf("mean ROUGE = %+v, want all 0.5", r)
	}
	// 3 of 3 unigrams and 2 of 2 bigrams match, no trigram beyond 1 of 1,
	// no 4-gram at all: total_4 = 0 makes BLEU 0 (sacrebleu's log 0).
	b := s.BLEU()
	if b.SysLen != 3 || b.RefLen != 6 || b.Total != [4]int{3, 2, 1, 0} || b.Score != 0 {
		t.Errorf("BLEU = %+v", b)
	}
	if want := math.Exp(1 - 6.0/3); math.Abs(b.BP-want) > 1e-15 {
		t.Errorf("BP = %v, want %v", b.BP, want)
	}
}
