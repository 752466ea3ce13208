package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// newBenchGenerateCmd measures greedy decoding speed on a randomly
// initialised GPT-2 (the book's Chinese GPT-2 shape by default); the peer
// figure comes from bench/generate.py (HF generate, same shape).
func newBenchGenerateCmd() *cobra.Command {
	var batches, curve []int
	var promptLen, newTokens, layers, embd, heads, vocab, curveSteps int
	var uncached bool
	var plotPath string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Greedy tokens/second of a GPT-2 with and without the key/value cache, and per-token cost vs prefix length",
		Example: "  gotrl bench generate                      # 12×768, vocab 21128, prompt 32, 128 new, batch 1 and 8\n" +
			"  gotrl bench generate --curve 32,128,256,512,1000 --plot cache.png",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dev, err := setup()
			if err != nil {
				return err
			}
			c := gpt2.Default()
			c.NLayer, c.NEmbd, c.NHead, c.VocabSize = int64(layers), int64(embd), int64(heads), int64(vocab)
			c.EmbdPdrop, c.AttnPdrop, c.ResidPdrop = 0, 0, 0
			store := nn.NewStore(dev)
			defer store.Close()
			m, err := gpt2.New(store.Root(), c)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "gpt2 %d×%d, vocab %d, threads %d, prompt %d, %d new tokens, greedy\n", layers, embd, vocab, tensor.Threads(), promptLen, newTokens)
			rng := rand.New(rand.NewPCG(uint64(global.seed), 1))
			steppers := []struct {
				name string
				s    generate.Stepper
			}{{"cache", m.Stepper()}, {"no cache", m.UncachedStepper()}}
			if !uncached {
				steppers = steppers[:1]
			}
			for _, b := range batches {
				for _, st := range steppers {
					tps, err := tokensPerSecond(cmd.Context(), st.s, randomPrompts(rng, b, promptLen, vocab), newTokens)
					if err != nil {
						return err
					}
					fmt.Fprintf(out, "batch %d  %-8s  %7.1f tokens/s\n", b, st.name, tps)
				}
			}
			if len(curve) > 0 {
				return prefixCurve(out, steppers[0].s, m.UncachedStepper(), rng, curve, curveSteps, vocab, plotPath)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&batches, "batch", []int{1, 8}, "batch sizes")
	f.IntVar(&promptLen, "prompt", 32, "prompt length")
	f.IntVar(&newTokens, "new", 128, "new tokens per row")
	f.IntVar(&layers, "layers", 12, "n_layer")
	f.IntVar(&embd, "embd", 768, "n_embd")
	f.IntVar(&heads, "heads", 12, "n_head")
	f.IntVar(&vocab, "vocab", 21128, "vocab_size")
	f.BoolVar(&uncached, "uncached", true, "also measure without the cache (recompute the prefix each step)")
	f.IntSliceVar(&curve, "curve", nil, "prefix lengths for the per-token cost curve (batch 1)")
	f.IntVar(&curveSteps, "curve-steps", 16, "decoding steps timed per prefix length")
	f.StringVar(&plotPath, "plot", "", "write the curve as a PNG here")
	return cmd
}

func randomPrompts(rng *rand.Rand, b, n, vocab int) generate.Batch {
	ids := make([][]int64, b)
	for i := range ids {
		ids[i] = make([]int64, n)
		for j := range ids[i] {
			ids[i][j] = rng.Int64N(int64(vocab))
		}
	}
	return generate.Batch{IDs: ids}
}

// tokensPerSecond times one greedy generate (prefill included) after a
// short warm-up; no eos, so every row makes newTokens tokens.
func tokensPerSecond(ctx context.Context, s generate.Stepper, prompts generate.Batch, newTokens int) (float64, error) {
	c := generate.Default()
	c.MaxNewTokens = 4
	if _, err := generate.Generate(ctx, s, prompts, c); err != nil {
		return 0, err
	}
	c.MaxNewTokens = newTokens
	start := time.Now()
	if _, err := generate.Generate(ctx, s, prompts, c); err != nil {
		return 0, err
	}
	return float64(len(prompts.IDs)*newTokens) / time.Since(start).Seconds(), nil
}

// prefixCurve prints (and plots) the cost of one decoding step at batch 1
// after prefixes of each length, with and without the cache.
func prefixCurve(out io.Writer, cached, uncached generate.Stepper, rng *rand.Rand, lengths []int, steps, vocab int, plotPath string) error {
	fmt.Fprintf(out, "\nper-token cost vs prefix length (batch 1, mean of %d steps)\nprefix  cache ms  no-cache ms\n", steps)
	var withCache, without plotter.XYs
	for _, n := range lengths {
		prompt := randomPrompts(rng, 1, n, vocab)
		a, err := stepCost(cached, prompt, steps)
		if err != nil {
			return err
		}
		b, err := stepCost(uncached, prompt, steps)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%6d  %8.2f  %11.2f\n", n, a, b)
		withCache = append(withCache, plotter.XY{X: float64(n), Y: a})
		without = append(without, plotter.XY{X: float64(n), Y: b})
	}
	if plotPath == "" {
		return nil
	}
	p := plot.New()
	p.Title.Text = "GPT-2 greedy: cost of one new token"
	p.X.Label.Text = "prefix length (tokens)"
	p.Y.Label.Text = "ms per token (batch 1)"
	if err := plotutil.AddLinePoints(p, "key/value cache", withCache, "no cache", without); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, plotPath)
}

// stepCost is the mean wall time in ms of one Step after Prepare.
func stepCost(s generate.Stepper, prompt generate.Batch, steps int) (ms float64, err error) {
	ctx := context.Background()
	err = tensor.NoGrad(func() {
		ones := make([]int64, len(prompt.IDs[0]))
		for i := range ones {
			ones[i] = 1
		}
		prep, perr := s.Prepare(ctx, prompt.IDs, [][]int64{ones})
		if perr != nil {
			err = perr
			return
		}
		defer prep.State.Close()
		tensor.Free(prep.Logits)
		next := []int64{1}
		start := time.Now()
		for i := 0; i < steps; i++ {
			logits, serr := s.Step(ctx, prep.State, next)
			if serr != nil {
				err = serr
				return
			}
			tensor.Free(logits)
		}
		ms = float64(time.Since(start).Microseconds()) / 1e3 / float64(steps)
	})
	return ms, err
}
