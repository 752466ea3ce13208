package generate

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// beamSearch is HF's _beam_search with BeamSearchScorer: processors act on
// log_softmax(logits); each prompt keeps num_beams running beams, ranks
// the top max(2, 1+#eos)·num_beams of its [beams·V] candidates, sends eos
// candidates of rank < num_beams to its finished hypotheses, and stops as
// early_stopping says. Rows in prep are already num_beams per prompt.
func beamSearch(ctx context.Context, m Stepper, prep Prepared, c Config) (*Output, error) {
	b := newBeams(prep, c)
	logits := prep.Logits
	for step := 0; ; step++ {
		logps, lse, err := takeRows(logits, len(b.rows), true, nil)
		if err != nil {
			return nil, err
		}
		b.score(logps, lse, step)
		next, from := b.advance(logps, step+1)
		if !slices.Contains(b.done, false) || step+1 == c.MaxNewTokens {
			break
		}
		if err := prep.State.Reorder(from); err != nil {
			return nil, fmt.Errorf("generate: reorder beams: %w", err)
		}
		if logits, err = stepModel(ctx, m, prep.State, next); err != nil {
			return nil, err
		}
	}
	b.finalize()
	return beamOutput(b.hyps, prep, c, b.prefixLen), nil
}

// beams is the running state of a beam search over all prompts.
type beams struct {
	c         Config
	prefixLen int
	rows      [][]int64 // [B·K] running beams, prefix included
	scores    []float32 // their summed log-probs: 0 for beam 0, -1e9 for the rest at first
	hyps      []*hypotheses
	done      []bool // per prompt
	procs     []Processor
}

func newBeams(prep Prepared, c Config) *beams {
	k := c.NumBeams
	b := &beams{c: c, prefixLen: len(prep.Prefix[0]), rows: cloneRows(prep.Prefix), procs: processors(c, 1)}
	b.scores = make([]float32, len(b.rows))
	for i := range b.scores {
		if i%k != 0 {
			b.scores[i] = -1e9
		}
	}
	for range len(b.rows) / k {
		b.hyps = append(b.hyps, &hypotheses{size: k, lengthPenalty: c.LengthPenalty, early: c.EarlyStopping, worst: 1e9})
		b.done = append(b.done, false)
	}
	return b
}

// score turns logits rows, whose log-sum-exps are lse, into processed
// log-probs plus each beam's score.
func (b *beams) score(logps [][]float32, lse []float32, step int) {
	for i, lp := range logps {
		for j := range lp {
			lp[j] -= lse[i] // log_softmax
		}
		for _, p := range b.procs {
			p(lp, b.rows[i], step)
		}
		for j := range lp {
			lp[j] += b.scores[i]
		}
	}
}

// advance picks each prompt's next beams (BeamSearchScorer.process),
// extends the rows and returns the new tokens and the rows they continue.
// genLen counts the new tokens including this step's.
func (b *beams) advance(logps [][]float32, genLen int) (next, from []int64) {
	k, n := b.c.NumBeams, len(b.rows)
	next, from = make([]int64, n), make([]int64, n)
	scores := make([]float32, n)
	for p := range b.hyps {
		if b.done[p] { // HF pads a finished prompt's beams
			for j := p * k; j < (p+1)*k; j++ {
				next[j], from[j] = b.c.pad(), int64(j)
			}
			continue
		}
		cands := topCandidates(logps[p*k:(p+1)*k], max(2, 1+len(b.c.EOSTokenID))*k)
		j := p * k
		for rank, cd := range cands {
			row := p*k + cd.beam
			if b.c.isEOS(cd.token) {
				if rank < k {
					b.hyps[p].add(slices.Clone(b.rows[row]), float64(cd.score), genLen)
				}
				continue
			}
			next[j], from[j], scores[j] = cd.token, int64(row), cd.score
			if j++; j == (p+1)*k {
				break
			}
		}
		b.done[p] = b.done[p] || b.hyps[p].done(float64(cands[0].score), genLen)
	}
	rows := make([][]int64, n)
	for i := range rows {
		rows[i] = append(slices.Clone(b.rows[from[i]]), next[i])
	}
	b.rows, b.scores = rows, scores
	return next, from
}

// finalize lets the running beams of unfinished prompts compete with the
// finished hypotheses (BeamSearchScorer.finalize).
func (b *beams) finalize() {
	k := b.c.NumBeams
	for p, h := range b.hyps {
		if b.done[p] {
			continue
		}
		for j := p * k; j < (p+1)*k; j++ {
			h.add(b.rows[j], float64(b.scores[j]), len(b.rows[j])-b.prefixLen)
		}
	}
}

// beamOutput picks each prompt's num_return_sequences best hypotheses and
// lays them out as HF's finalize does: one width = longest + 1 (capped at
// the maximum length), eos appended where it fits, pad after.
func beamOutput(hyps []*hypotheses, prep Prepared, c Config, prefixLen int) *Output {
	k, r := c.NumBeams, c.NumReturnSequences
	var best []hypothesis
	width := 0
	for _, h := range hyps {
		sorted := slices.Clone(h.beams)
		slices.SortStableFunc(sorted, func(a, b hypothesis) int { return cmpFloat(a.score, b.score) })
		for j := 0; j < r; j++ {
			hy := sorted[len(sorted)-1-j] // Python's sorted(...).pop(): last of equal scores first
			best = append(best, hy)
			width = max(width, len(hy.ids))
		}
	}
	width = min(width+1, prefixLen+c.MaxNewTokens)
	out := &Output{PrefixLen: prefixLen}
	for i, hy := range best {
		seq, mask := make([]int64, width), make([]int64, width)
		copy(mask, prep.PrefixMask[(i/r)*k])
		for j := range seq {
			switch {
			case j < len(hy.ids):
				seq[j] = hy.ids[j]
				if j >= prefixLen {
					mask[j] = 1
				}
			case j == len(hy.ids) && len(c.EOSTokenID) > 0:
				seq[j], mask[j] = c.EOSTokenID[0], 1
			default:
				seq[j] = c.pad()
			}
		}
		out.Sequences = append(out.Sequences, seq)
		out.Mask = append(out.Mask, mask)
		out.Scores = append(out.Scores, float32(hy.score))
	}
	return out
}

// hypotheses is HF's BeamHypotheses: one prompt's best finished beams.
type hypotheses struct {
	size          int
	lengthPenalty float64
	early         bool
	beams         []hypothesis
	worst         float64
}

type hypothesis struct {
	score float64
	ids   []int64
}

// add scores a finished beam as sumLogProbs / genLen^length_penalty and
// keeps it if it is among the best size.
func (h *hypotheses) add(ids []int64, sumLogProbs float64, genLen int) {
	score := sumLogProbs / math.Pow(float64(genLen), h.lengthPenalty)
	if len(h.beams) >= h.size && score <= h.worst {
		return
	}
	h.beams = append(h.beams, hypothesis{score, ids})
	if len(h.beams) <= h.size {
		h.worst = math.Min(score, h.worst)
		return
	}
	order := make([]int, len(h.beams)) // HF: sorted((score, index)), drop the first
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(h.beams[a].score, h.beams[b].score) })
	h.worst = h.beams[order[1]].score
	h.beams = slices.Delete(h.beams, order[0], order[0]+1)
}

// done is BeamHypotheses.is_done for early_stopping true or false.
func (h *hypotheses) done(bestSum float64, genLen int) bool {
	if len(h.beams) < h.size {
		return false
	}
	if h.early {
		return true
	}
	return h.worst >= bestSum/math.Pow(float64(genLen), h.lengthPenalty)
}

type candidate struct {
	score float32
	beam  int
	token int64
}

// topCandidates returns the keep best (score, beam, token) of a prompt's
// beams [k][V], best first (torch.topk over the flattened [k·V] scores).
func topCandidates(beams [][]float32, keep int) []candidate {
	top := make([]candidate, 0, keep+1)
	for b, row := range beams {
		for t, s := range row {
			if len(top) == keep && s <= top[keep-1].score {
				continue
			}
			at, _ := slices.BinarySearchFunc(top, s, func(c candidate, s float32) int {
				if c.score >= s {
					return -1
				}
				return 1
			})
			top = slices.Insert(top, at, candidate{s, b, int64(t)})
			if len(top) > keep {
				top = top[:keep]
			}
		}
	}
	return top
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cloneRows(rows [][]int64) [][]int64 {
	out := make([][]int64, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}
