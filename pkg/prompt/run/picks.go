package run

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// slotToken is one token of one label word: the K columns of a [B, K]
// score tensor are the verbalizer's tokens in [label][word][token] order.
type slotToken struct {
	Label, Word, Tok int   // indices into prompt.WordIDs
	WordIndex        int   // the word's index among all words, label-major
	ID               int64 // token id
}

// layout flattens words label-major: every example of a batch has the
// same K tokens, so scores reshape to [B, K].
func layout(words prompt.WordIDs) []slotToken {
	var out []slotToken
	wi := 0
	for l, ws := range words {
		for w, toks := range ws {
			for j, id := range toks {
				out = append(out, slotToken{Label: l, Word: w, Tok: j, WordIndex: wi, ID: id})
			}
			wi++
		}
	}
	return out
}

// flatWords lists every label word's token ids, label-major (WordIndex order).
func flatWords(words prompt.WordIDs) [][]int64 {
	var out [][]int64
	for _, ws := range words {
		out = append(out, ws...)
	}
	return out
}

// pick says which prediction scores one label-word token: the model output
// at row Row, position Pos, read at vocabulary id Tok.
type pick struct {
	Row, Pos int
	Tok      int64
}

// gatherLogProbs reads the log-probability of every pick from hidden
// states [R, T, C]: the picked positions go through head (hidden → vocab
// logits; nil when hidden already holds logits), then log-softmax over the
// vocabulary. Only the picked positions reach the head, so a 21k-token
// vocabulary costs N·V, not R·T·V. Returns [N] in pick order.
func gatherLogProbs(hidden *tensor.Tensor, picks []pick, head func(*tensor.Tensor) *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	sh := tensor.Shape(hidden) // [R, T, C]
	dev, err := hidden.Device()
	tensor.Check(err)
	rows, toks := make([]int64, len(picks)), make([]int64, len(picks))
	for i, p := range picks {
		if p.Row < 0 || int64(p.Row) >= sh[0] || p.Pos < 0 || int64(p.Pos) >= sh[1] {
			tensor.Checkf(fmt.Errorf("pick (%d, %d) outside [%d, %d]", p.Row, p.Pos, sh[0], sh[1]), "gather label words")
		}
		rows[i] = int64(p.Row)*sh[1] + int64(p.Pos)
		toks[i] = p.Tok
	}
	idx := s.T(tensor.FromInt64s(rows, []int64{int64(len(rows))}, dev))
	tok := s.T(tensor.FromInt64s(toks, []int64{int64(len(toks)), 1}, dev))
	flat := s.T(hidden.Reshape([]int64{sh[0] * sh[1], sh[2]}, false)) // [R·T, C]
	h := s.T(flat.IndexSelect(0, idx, false))                         // [N, C]
	if head != nil {
		h = s.Add(head(h)) // [N, V]
	}
	logp := s.T(h.LogSoftmax(-1, gotch.Float, false))                               // [N, V]
	return s.Keep(s.T(s.T(logp.Gather(1, tok, false, false)).SqueezeDim(1, false))) // [N]
}

// tokenScores copies a [B, K] score tensor into one prompt.TokenScores per
// example, in the shape of words.
func tokenScores(scores *tensor.Tensor, words prompt.WordIDs) ([]prompt.TokenScores, error) {
	v, err := tensor.Float64s(scores)
	if err != nil {
		return nil, err
	}
	lay := layout(words)
	k := len(lay)
	if k == 0 || len(v)%k != 0 {
		return nil, fmt.Errorf("token scores: %d values for %d tokens per example", len(v), k)
	}
	out := make([]prompt.TokenScores, len(v)/k)
	for b := range out {
		ts := make(prompt.TokenScores, len(words))
		for l, ws := range words {
			ts[l] = make([][]float64, len(ws))
			for w, toks := range ws {
				ts[l][w] = make([]float64, len(toks))
			}
		}
		for i, t := range lay {
			ts[t.Label][t.Word][t.Tok] = v[b*k+i]
		}
		out[b] = ts
	}
	return out, nil
}

// labelScores reduces token scores [B, K] to label scores [B, L] inside
// the graph, exactly as prompt.Verbalizer.LabelScores does in Go (WordAgg
// over a word's tokens, then LabelAgg over a label's words), so PET's loss
// sees the scores inference classifies by.
func labelScores(scores *tensor.Tensor, v *prompt.Verbalizer, words prompt.WordIDs) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	col := int64(0)
	labels := make([]*tensor.Tensor, len(words))
	for l, ws := range words {
		wordScores := make([]*tensor.Tensor, len(ws))
		for w, toks := range ws {
			part := s.T(scores.Narrow(1, col, int64(len(toks)), false)) // [B, n]
			wordScores[w] = reduce(s, part, v.WordAgg)                  // [B, 1]
			col += int64(len(toks))
		}
		labels[l] = reduce(s, s.T(ts.Cat(wordScores, 1)), v.LabelAgg) // [B, 1]
	}
	return s.Keep(s.T(ts.Cat(labels, 1))) // [B, L]
}

// reduce aggregates x [B, n] along dim 1 into [B, 1].
func reduce(s *tensor.Scope, x *tensor.Tensor, a prompt.Agg) *tensor.Tensor {
	switch a {
	case prompt.First:
		return s.T(x.Narrow(1, 0, 1, false))
	case prompt.Max:
		return s.T(x.Amax([]int64{1}, true, false))
	}
	return s.T(x.MeanDim([]int64{1}, true, gotch.Float, false))
}
