package metrics

// Summary scores generated texts against one reference each, the way
// `gotrl eval summary` reports them: the mean of per-example ROUGE F1 and
// corpus BLEU-4, all over Tokens.
type Summary struct {
	Examples []ROUGE // per example, in the order added
	sum      ROUGE
	bleu     BLEUStats
}

// Add scores one prediction against its reference and returns its ROUGE.
func (s *Summary) Add(prediction, reference string) ROUGE {
	return s.AddTokens(Tokens(prediction), Tokens(reference))
}

// AddTokens is Add for text tokenized some other way.
func (s *Summary) AddTokens(pred, ref []string) ROUGE {
	r := ScoreROUGE(pred, ref)
	s.Examples = append(s.Examples, r)
	s.sum.R1 += r.R1
	s.sum.R2 += r.R2
	s.sum.L += r.L
	s.bleu.Add(pred, ref)
	return r
}

// ROUGE is the mean per-example ROUGE (fractions; 0 with no examples).
func (s *Summary) ROUGE() ROUGE {
	n := float64(len(s.Examples))
	if n == 0 {
		return ROUGE{}
	}
	return ROUGE{R1: s.sum.R1 / n, R2: s.sum.R2 / n, L: s.sum.L / n}
}

// BLEU is the corpus BLEU-4 over every example added.
func (s *Summary) BLEU() BLEU { return s.bleu.Score() }
