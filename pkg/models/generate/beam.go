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
	k := c.NumBeams
	n := len(prep.Prefix)
	prompts := n / k
	prefixLen := len(prep.Prefix[0])
	rows := cloneRows(prep.Prefix)
	scores := make([]float32, n) // running beam scores: 0 for beam 0, -1e9 for the rest
	for i := range scores {
		if i%k != 0 {
			scores[i] = -1e9
		}
	}
	hyps := make([]*hypotheses, prompts)
	for i := range hyps {
		hyps[i] = &hypotheses{size: k, lengthPenalty: c.LengthPenalty, early: c.EarlyStopping, worst: 1e9}
	}
	done := make([]bool, prompts)
	procs := processors(c, 1)
	keep := max(2, 1+len(c.EOSTokenID)) * k
	logits := prep.Logits
	for step := 0; ; step++ {
		logps, err := takeRows(logits, n)
		if err != nil {
			return nil, err
		}
		for i, lp := range logps {
			logSoftmax(lp)
			for _, p := range procs {
				p(lp, rows[i], step)
			}
			for j := range lp {
				lp[j] += scores[i]
			}
		}
		next, from := make([]int64, n), make([]int64, n)
		nextScores := make([]float32, n)
		genLen := step + 1 // new tokens once this step's token is counted (eos included)
		for b := 0; b < prompts; b++ {
			if done[b] { // HF pads a finished prompt's beams
				for j := b * k; j < (b+1)*k; j++ {
					next[j], from[j] = c.pad(), int64(j)
				}
				continue
			}
			cands := topCandidates(logps[b*k:(b+1)*k], keep)
			j := b * k
			for rank, cd := range cands {
				row := b*k + cd.beam
				if c.isEOS(cd.token) {
					if rank < k {
						hyps[b].add(slices.Clone(rows[row]), float64(cd.score), genLen)
					}
					continue
				}
				next[j], from[j], nextScores[j] = cd.token, int64(row), cd.score
				if j++; j == (b+1)*k {
					break
				}
			}
			done[b] = done[b] || hyps[b].done(float64(cands[0].score), genLen)
		}
		reordered := make([][]int64, n)
		for i := range rows {
			reordered[i] = append(slices.Clone(rows[from[i]]), next[i])
		}
		rows, scores = reordered, nextScores
		if !slices.Contains(done, false) || step+1 == c.MaxNewTokens {
			break
		}
		if err := prep.State.Reorder(from); err != nil {
			return nil, fmt.Errorf("generate: reorder beams: %w", err)
		}
		if logits, err = stepModel(ctx, m, prep.State, next); err != nil {
			return nil, err
		}
	}
	for b := range hyps { // HF finalize: running beams of unfinished prompts compete too
		if done[b] {
			continue
		}
		for j := b * k; j < (b+1)*k; j++ {
			hyps[b].add(rows[j], float64(scores[j]), len(rows[j])-prefixLen)
		}
	}
	return beamOutput(hyps, prep, c, prefixLen), nil
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
