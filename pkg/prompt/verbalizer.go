package prompt

import (
	"fmt"
	"math"
	"slices"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// Agg names how several scores are combined into one.
type Agg string

const (
	First Agg = "first" // the first score (a word's first token)
	Mean  Agg = "mean"  // the arithmetic mean
	Max   Agg = "max"   // the largest score
)

// Verbalizer maps labels to label words, the answer space of a prompt
// (OpenPrompt's ManualVerbalizer, PET's verbalizer). Scores come from a
// runner as log-probabilities (or logits) of each word's tokens; a
// multi-token word such as 非常 (two tokens) is reduced to one score by
// WordAgg, and a label's words by LabelAgg.
type Verbalizer struct {
	Labels   []string
	Words    [][]string // Words[i] are the label words of Labels[i]
	WordAgg  Agg        // over a word's tokens: first, mean or max
	LabelAgg Agg        // over a label's words: mean or max
}

// NewVerbalizer checks and returns a verbalizer. Empty aggregations
// default to mean.
func NewVerbalizer(labels []string, words [][]string, wordAgg, labelAgg Agg) (*Verbalizer, error) {
	v := &Verbalizer{Labels: labels, Words: words, WordAgg: wordAgg, LabelAgg: labelAgg}
	if v.WordAgg == "" {
		v.WordAgg = Mean
	}
	if v.LabelAgg == "" {
		v.LabelAgg = Mean
	}
	if err := v.validate(); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *Verbalizer) validate() error {
	if len(v.Labels) == 0 {
		return fmt.Errorf("verbalizer: no labels")
	}
	if len(v.Words) != len(v.Labels) {
		return fmt.Errorf("verbalizer: %d labels but %d word lists", len(v.Labels), len(v.Words))
	}
	seen := map[string]bool{}
	owner := map[string]string{} // label word → the label it belongs to
	for i, l := range v.Labels {
		if seen[l] {
			return fmt.Errorf("verbalizer: duplicate label %q", l)
		}
		seen[l] = true
		if len(v.Words[i]) == 0 {
			return fmt.Errorf("verbalizer: label %q has no label words", l)
		}
		// A word shared by two labels scores the same for both, so the
		// prompt cannot tell them apart by it.
		for _, w := range v.Words[i] {
			if o, ok := owner[w]; ok && o != l {
				return fmt.Errorf("verbalizer: labels %q and %q share the label word %q; give each label its own words", o, l, w)
			}
			owner[w] = l
		}
	}
	switch v.WordAgg {
	case First, Mean, Max:
	default:
		return fmt.Errorf("verbalizer: unknown word aggregation %q (want first, mean or max)", v.WordAgg)
	}
	switch v.LabelAgg {
	case Mean, Max:
	default:
		return fmt.Errorf("verbalizer: unknown label aggregation %q (want mean or max)", v.LabelAgg)
	}
	return nil
}

// Index returns the position of label in Labels, or -1.
func (v *Verbalizer) Index(label string) int { return slices.Index(v.Labels, label) }

// WordIDs holds the token ids of every label word: [label][word][token].
type WordIDs [][][]int64

// TokenScores holds a runner's score for every token of every label word,
// in the shape of WordIDs: [label][word][token]. Scores are
// log-probabilities (or logits) at the mask position(s).
type TokenScores [][][]float64

// Tokenize encodes every label word without special tokens. A word that
// encodes to nothing or to an unknown token is an error naming the label,
// the word and the offending piece, since its score would be that of [UNK].
func (v *Verbalizer) Tokenize(tok tokenizer.Tokenizer) (WordIDs, error) {
	unk := tok.Special().UNK
	out := make(WordIDs, len(v.Labels))
	for i, label := range v.Labels {
		for _, w := range v.Words[i] {
			enc, err := tok.Encode(w, false)
			if err != nil {
				return nil, fmt.Errorf("verbalizer: label %q: word %q: %w", label, w, err)
			}
			if len(enc.IDs) == 0 {
				return nil, fmt.Errorf("verbalizer: label %q: word %q encodes to no tokens", label, w)
			}
			for j, id := range enc.IDs {
				if id == unk && unk >= 0 {
					return nil, fmt.Errorf("verbalizer: label %q: word %q: piece %q is not in the vocabulary (token %d is [UNK])",
						label, w, piece(w, enc, j), j)
				}
			}
			out[i] = append(out[i], enc.IDs)
		}
	}
	return out, nil
}

// piece returns the text of token j of enc, cut from text by its offsets.
func piece(text string, enc tokenizer.Encoding, j int) string {
	r := []rune(text)
	if j < len(enc.Offsets) {
		if o := enc.Offsets[j]; 0 <= o[0] && o[0] <= o[1] && o[1] <= len(r) {
			return string(r[o[0]:o[1]])
		}
	}
	return text
}

// LabelScores reduces token scores to one score per label: WordAgg over
// each word's tokens, then LabelAgg over each label's words.
func (v *Verbalizer) LabelScores(s TokenScores) ([]float64, error) {
	if len(s) != len(v.Labels) {
		return nil, fmt.Errorf("verbalizer: scores for %d labels, want %d", len(s), len(v.Labels))
	}
	out := make([]float64, len(s))
	for i, words := range s {
		if len(words) != len(v.Words[i]) {
			return nil, fmt.Errorf("verbalizer: label %q: scores for %d words, want %d", v.Labels[i], len(words), len(v.Words[i]))
		}
		ws := make([]float64, len(words))
		for j, toks := range words {
			if len(toks) == 0 {
				return nil, fmt.Errorf("verbalizer: label %q: word %q has no token scores", v.Labels[i], v.Words[i][j])
			}
			ws[j] = aggregate(v.WordAgg, toks)
		}
		out[i] = aggregate(v.LabelAgg, ws)
	}
	return out, nil
}

// Probs returns the softmax of the label scores: a distribution over labels.
func (v *Verbalizer) Probs(s TokenScores) ([]float64, error) {
	scores, err := v.LabelScores(s)
	if err != nil {
		return nil, err
	}
	return softmax(scores), nil
}

// aggregate combines non-empty x by a (validated earlier).
func aggregate(a Agg, x []float64) float64 {
	switch a {
	case First:
		return x[0]
	case Max:
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, v)
		}
		return m
	}
	sum := 0.0
	for _, v := range x {
		sum += v
	}
	return sum / float64(len(x))
}
