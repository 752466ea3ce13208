package generate

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Batch is a batch of prompts: equal-length rows, left-padded with mask 0
// (pkg/data's collators build it). Mask may be nil when nothing is padded.
type Batch struct {
	IDs, Mask [][]int64
}

// Output is generate's result. Rows are [B·R] (R = num_return_sequences),
// prompt b's sequences at b·R … b·R+R-1, as HF returns them.
type Output struct {
	// Sequences are Prefix then the new tokens, padded with pad_token_id
	// to one length (HF's generate(...) tensor).
	Sequences [][]int64
	// Mask is 1 for prefix tokens and new tokens up to and including eos,
	// 0 for padding on either side (PPO's response mask starts here).
	Mask [][]int64
	// LogProbs [B·R][new] holds, for greedy and sampling with
	// Config.OutputScores, the log-prob of each chosen token under the
	// processed (and warped) scores — HF's log_softmax(output_scores) at
	// the chosen ids — and 0 after a row finished. nil otherwise and for
	// beam search.
	LogProbs [][]float32
	// Scores are beam search's sequences_scores [B·R]; nil otherwise.
	Scores []float32
	// PrefixLen is the number of columns before the first new token.
	PrefixLen int
}

// Generate runs greedy search, sampling or beam search (c.NumBeams > 1) on
// m for the prompts, under no-grad. ctx is checked before every step.
func Generate(ctx context.Context, m Stepper, prompts Batch, c Config) (out *Output, err error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkBatch(prompts); err != nil {
		return nil, err
	}
	rep := c.NumReturnSequences
	if c.NumBeams > 1 {
		rep = c.NumBeams
	}
	ids, mask := expand(prompts, rep)
	var runErr error
	err = tensor.NoGrad(func() {
		prep, err := m.Prepare(ctx, ids, mask)
		if err != nil {
			runErr = fmt.Errorf("generate: prompt: %w", err)
			return
		}
		defer prep.State.Close()
		if c.MaxNewTokens, runErr = c.newTokens(len(prep.Prefix[0])); runErr != nil {
			tensor.Free(prep.Logits)
			return
		}
		if r, ok := prep.State.(Reserver); ok {
			r.Reserve(c.MaxNewTokens)
		}
		if c.NumBeams > 1 {
			out, runErr = beamSearch(ctx, m, prep, c)
		} else {
			out, runErr = search(ctx, m, prep, c)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return out, runErr
}

func checkBatch(b Batch) error {
	if len(b.IDs) == 0 {
		return fmt.Errorf("generate: no prompts")
	}
	w := len(b.IDs[0])
	if w == 0 {
		return fmt.Errorf("generate: prompt 0 is empty")
	}
	for i, r := range b.IDs {
		if len(r) != w {
			return fmt.Errorf("generate: prompt %d has %d ids, prompt 0 has %d (left-pad the batch)", i, len(r), w)
		}
		if b.Mask != nil && len(b.Mask[i]) != w {
			return fmt.Errorf("generate: mask row %d has %d values, want %d", i, len(b.Mask[i]), w)
		}
	}
	if b.Mask != nil && len(b.Mask) != len(b.IDs) {
		return fmt.Errorf("generate: %d mask rows for %d prompts", len(b.Mask), len(b.IDs))
	}
	return nil
}

// expand repeats each prompt row r times in place (HF's
// _expand_inputs_for_generation: repeat_interleave) and fills a nil mask.
func expand(b Batch, r int) (ids, mask [][]int64) {
	for i, row := range b.IDs {
		m := make([]int64, len(row))
		if b.Mask != nil {
			copy(m, b.Mask[i])
		} else {
			for j := range m {
				m[j] = 1
			}
		}
		for k := 0; k < r; k++ {
			ids = append(ids, append([]int64(nil), row...))
			mask = append(mask, append([]int64(nil), m...))
		}
	}
	return ids, mask
}

// search is greedy search and multinomial sampling (HF _sample): finished
// rows keep receiving pad_token_id until every row is finished.
func search(ctx context.Context, m Stepper, prep Prepared, c Config) (*Output, error) {
	n := len(prep.Prefix)
	out := newOutput(prep)
	if c.OutputScores {
		out.LogProbs = make([][]float32, n)
	}
	procs := processors(c, 1)
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 0x9E3779B97F4A7C15))
	finished := make([]bool, n)
	logits := prep.Logits
	// greedy search needs each row's largest logit and nothing else, when
	// no processor edits the logits and no log-prob is asked for: a
	// GreedyStepper may then find it without computing every logit
	greedy, _ := m.(GreedyStepper)
	if c.DoSample || len(procs) > 0 || c.OutputScores || c.MaxNewTokens < greedyMinTokens {
		greedy = nil
	}
	// without processors the scores are the logits, whose log-sum-exp
	// (for sampling and log-probs) comes with them from tensor.ReadRows,
	// vectorized (Go's math.Exp over 21128 scores per row cost 0.3 ms a
	// step)
	needLSE := c.DoSample || c.OutputScores
	var chosen []int64 // the stepper's choice, when it made one
	var buf []float32
	for step := 0; ; step++ {
		next := make([]int64, n)
		if chosen != nil {
			copy(next, chosen)
		} else {
			// a step's rows are read and done with before the next step,
			// so every step reads into the first one's memory
			rows, lse, err := takeRows(logits, n, needLSE && len(procs) == 0, &buf)
			if err != nil {
				return nil, err
			}
			for i, scores := range rows {
				if finished[i] {
					continue
				}
				for _, p := range procs {
					p(scores, out.Sequences[i], step)
				}
				l := 0.0
				switch {
				case lse != nil:
					l = float64(lse[i])
				case needLSE:
					l = logSumExp(scores)
				}
				if c.DoSample {
					next[i] = sample(scores, l, rng)
				} else {
					next[i] = argmax(scores)
				}
				if c.OutputScores {
					out.LogProbs[i] = append(out.LogProbs[i], float32(float64(scores[next[i]])-l)) // log_softmax at the id
				}
			}
		}
		done := true
		for i := range next {
			if finished[i] {
				next[i] = c.pad()
				if c.OutputScores {
					out.LogProbs[i] = append(out.LogProbs[i], 0)
				}
			}
			out.append(i, next[i], !finished[i])
			finished[i] = finished[i] || c.isEOS(next[i])
			done = done && finished[i]
		}
		if done || step+1 == c.MaxNewTokens {
			return out, nil
		}
		var err error
		if greedy != nil {
			chosen, logits, err = stepGreedy(ctx, greedy, prep.State, next)
		} else {
			logits, err = stepModel(ctx, m, prep.State, next)
		}
		if err != nil {
			return nil, err
		}
	}
}

// greedyMinTokens is the fewest new tokens for which search lets a
// GreedyStepper choose: what it prepares for a run (the screen of an LM
// head, 8 ms on a 21,128-token vocabulary) costs a few steps' savings.
const greedyMinTokens = 8

func newOutput(prep Prepared) *Output {
	return &Output{PrefixLen: len(prep.Prefix[0]), Sequences: cloneRows(prep.Prefix), Mask: cloneRows(prep.PrefixMask)}
}

// append adds a token to row i, marking it real (mask 1) or padding.
func (o *Output) append(i int, id int64, real bool) {
	o.Sequences[i] = append(o.Sequences[i], id)
	on := int64(0)
	if real {
		on = 1
	}
	o.Mask[i] = append(o.Mask[i], on)
}

// stepModel checks ctx and advances the model by one token per row.
func stepModel(ctx context.Context, m Stepper, st State, next []int64) (*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	logits, err := m.Step(ctx, st, next)
	if err != nil {
		return nil, fmt.Errorf("generate: step: %w", err)
	}
	return logits, nil
}

// stepGreedy is stepModel through a GreedyStepper: the ids it chose, or
// the logits when it could not choose.
func stepGreedy(ctx context.Context, m GreedyStepper, st State, next []int64) ([]int64, *tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("generate: %w", err)
	}
	ids, logits, err := m.StepGreedy(ctx, st, next)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("generate: step: %w", err)
	case (ids == nil) == (logits == nil):
		tensor.Free(logits)
		return nil, nil, fmt.Errorf("generate: step: %T.StepGreedy must return ids or logits, one of them", m)
	case ids != nil && len(ids) != len(next):
		tensor.Free(logits)
		return nil, nil, fmt.Errorf("generate: step: %d ids for %d rows", len(ids), len(next))
	}
	return ids, logits, nil
}

// takeRows copies logits [N, V] into Go rows and frees the tensor; with
// lse it also returns each row's log-sum-exp [N]. With buf not nil the rows
// go into *buf's memory when it has room, and *buf becomes theirs.
func takeRows(logits *tensor.Tensor, n int, withLSE bool, buf *[]float32) (rows [][]float32, lse []float32, err error) {
	defer tensor.Free(logits)
	var into []float32
	if buf != nil {
		into = *buf
	}
	flat, lse, err := tensor.ReadRows(logits, into, withLSE)
	if err != nil {
		return nil, nil, fmt.Errorf("generate: logits: %w", err)
	}
	if n == 0 || len(flat)%n != 0 || (withLSE && len(lse) != n) {
		return nil, nil, fmt.Errorf("generate: logits hold %d values, not %d equal rows", len(flat), n)
	}
	if buf != nil {
		*buf = flat
	}
	v := len(flat) / n
	rows = make([][]float32, n)
	for i := range rows {
		rows[i] = flat[i*v : (i+1)*v : (i+1)*v]
	}
	return rows, lse, nil
}
