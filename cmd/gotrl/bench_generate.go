package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/sugarme/gotch"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// newBenchGenerateCmd measures greedy decoding speed on a randomly
// initialised GPT-2 (the book's Chinese GPT-2 shape by default); the peer
// figure comes from bench/generate.py (HF generate, same shape).
func newBenchGenerateCmd() *cobra.Command {
	var batches, curve []int
	var promptLen, newTokens, curveSteps int
	shape := gpt2Shape{layers: 12, embd: 768, heads: 12, vocab: 21128}
	var uncached bool
	var plotPath string
	quantize := []string{string(layers.FP32)}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Greedy tokens/second of a GPT-2 with and without the key/value cache, and per-token cost vs prefix length",
		Example: "  gotrl bench generate                      # 12×768, vocab 21128, prompt 32, 128 new, batch 1 and 8\n" +
			"  gotrl bench generate --curve 32,128,256,512,1000 --plot cache.png",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dev, err := setup(global.seed)
			if err != nil {
				return err
			}
			c := shape.config()
			store := nn.NewStore(dev)
			defer store.Close()
			m, err := gpt2.New(store.Root(), c)
			if err != nil {
				return err
			}
			precs, err := parsePrecisions(quantize, dev)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "gpt2 %d×%d, vocab %d, threads %d, prompt %d, %d new tokens, greedy\n", shape.layers, shape.embd, shape.vocab, tensor.Threads(), promptLen, newTokens)
			steppers := []struct {
				name string
				s    generate.Stepper
			}{{"cache", m.Stepper()}, {"no cache", m.UncachedStepper()}}
			if !uncached {
				steppers = steppers[:1]
			}
			for _, p := range precs {
				if err := layers.Quantize(store, p, &m.LM.Linear); err != nil {
					return err
				}
				rng := rand.New(rand.NewPCG(uint64(global.seed), 1)) // the same prompts for every precision
				for _, b := range batches {
					for _, st := range steppers {
						tps, cpu, err := tokensPerSecond(cmd.Context(), st.s, randomPrompts(rng, b, promptLen, shape.vocab), newTokens)
						if err != nil {
							return err
						}
						fmt.Fprintf(out, "batch %d  %-8s  %-4s  %7.1f tokens/s  %6.1f ms CPU/token\n", b, st.name, p, tps, cpu)
					}
				}
			}
			rng := rand.New(rand.NewPCG(uint64(global.seed), 2))
			if len(curve) > 0 {
				return prefixCurve(out, steppers[0].s, m.UncachedStepper(), rng, curve, curveSteps, shape.vocab, plotPath)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&batches, "batch-sizes", []int{1, 8}, "batch sizes")
	f.IntVar(&promptLen, "prompt-length", 32, "prompt length in tokens")
	f.IntVar(&newTokens, "new", 128, "new tokens per row")
	shape.bind(f)
	f.StringSliceVar(&quantize, "precisions", quantize, "weight precisions to measure, each of none, fp32, int8, fp16, bf16, auto (see gotrl generate --quantize)")
	f.BoolVar(&uncached, "uncached", true, "also measure without the cache (recompute the prefix each step)")
	f.IntSliceVar(&curve, "curve", nil, "prefix lengths for the per-token cost curve (batch 1)")
	f.IntVar(&curveSteps, "curve-steps", 16, "decoding steps timed per prefix length")
	f.StringVar(&plotPath, "plot", "", "write the curve as a PNG here")
	return cmd
}

// parsePrecisions reads --quantize values.
func parsePrecisions(values []string, dev gotch.Device) ([]layers.Precision, error) {
	var out []layers.Precision
	for _, v := range values {
		p := layers.Precision(v)
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("--precisions: %w", err)
		}
		out = append(out, p.Resolve(dev))
	}
	return out, nil
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
// short warm-up; no eos, so every row makes newTokens tokens. It returns
// wall-clock tokens/s and the process CPU time per token in ms, which a
// machine shared with other jobs distorts less.
func tokensPerSecond(ctx context.Context, s generate.Stepper, prompts generate.Batch, newTokens int) (tps, cpuMS float64, err error) {
	c := generate.Default()
	c.MaxNewTokens = 4
	if _, err := generate.Generate(ctx, s, prompts, c); err != nil {
		return 0, 0, err
	}
	c.MaxNewTokens = newTokens
	start, cpu0 := time.Now(), cpuTime()
	if _, err := generate.Generate(ctx, s, prompts, c); err != nil {
		return 0, 0, err
	}
	n := float64(len(prompts.IDs) * newTokens)
	return n / time.Since(start).Seconds(), (cpuTime() - cpu0).Seconds() * 1e3 / n, nil
}

// cpuTime is the process's user + system CPU time (0 where unavailable).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// prefixCurve prints (and plots) the cost of one decoding step at batch 1
// after prefixes of each length, with and without the cache.
func prefixCurve(out io.Writer, cached, uncached generate.Stepper, rng *rand.Rand, lengths []int, steps, vocab int, plotPath string) error {
	fmt.Fprintf(out, "\nper-token cost vs prefix length (batch 1, mean of %d steps; wall and process CPU ms)\n", steps)
	fmt.Fprintf(out, "prefix  cache wall  cache CPU  no-cache wall  no-cache CPU\n")
	var withCache, without plotter.XYs
	for _, n := range lengths {
		prompt := randomPrompts(rng, 1, n, vocab)
		aWall, aCPU, err := stepCost(cached, prompt, steps)
		if err != nil {
			return err
		}
		bWall, bCPU, err := stepCost(uncached, prompt, steps)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%6d  %10.1f  %9.1f  %13.1f  %12.1f\n", n, aWall, aCPU, bWall, bCPU)
		withCache = append(withCache, plotter.XY{X: float64(n), Y: aCPU})
		without = append(without, plotter.XY{X: float64(n), Y: bCPU})
	}
	if plotPath == "" {
		return nil
	}
	p := plot.New()
	p.Title.Text = "GPT-2 greedy: cost of one new token"
	p.X.Label.Text = "prefix length (tokens)"
	p.Y.Label.Text = "CPU ms per token (batch 1)"
	p.Legend.Top, p.Legend.Left = true, true
	if err := plotutil.AddLinePoints(p, "key/value cache", withCache, "no cache", without); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, plotPath)
}

// stepCost is the mean wall and process CPU time in ms of one Step after
// Prepare.
func stepCost(s generate.Stepper, prompt generate.Batch, steps int) (wall, cpu float64, err error) {
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
		start, cpu0 := time.Now(), cpuTime()
		for i := 0; i < steps; i++ {
			logits, serr := s.Step(ctx, prep.State, next)
			if serr != nil {
				err = serr
				return
			}
			tensor.Free(logits)
		}
		wall = float64(time.Since(start).Microseconds()) / 1e3 / float64(steps)
		cpu = float64((cpuTime() - cpu0).Microseconds()) / 1e3 / float64(steps)
	})
	return wall, cpu, err
}
