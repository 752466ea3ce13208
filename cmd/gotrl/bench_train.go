package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

// benchShape is one training benchmark: a GPT-2 size and a batch.
type benchShape struct {
	name                string
	layers, embd, heads int64
	batch, seq          int
}

// benchShapes mirror bench/train.py: the book's Chinese GPT-2 (12×768,
// vocab 21128, matmul-bound) and a 2×128 model where per-op overhead dominates.
var benchShapes = map[string]benchShape{
	"big":   {"big", 12, 768, 12, 8, 256},
	"small": {"small", 2, 128, 2, 8, 64},
}

func newBenchTrainCmd() *cobra.Command {
	var shape string
	var steps, warmup int
	b := struct {
		BF16 train.BF16Mode `yaml:"bf16" bare:"true"`
	}{BF16: train.BF16Auto}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Training step time and tokens/s of GPT-2 (AdamW, the real training loop); compare with bench/train.py",
		Example: "  gotrl bench train --shape small --steps 20\n" +
			"  gotrl bench train --shape big --steps 3 --bf16=true",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dev, err := setup(global.seed)
			if err != nil {
				return err
			}
			sh, ok := benchShapes[shape]
			if !ok {
				return fmt.Errorf("--shape %q: want big or small", shape)
			}
			c := gpt2.Default()
			c.VocabSize, c.NLayer, c.NEmbd, c.NHead, c.NPositions = 21128, sh.layers, sh.embd, sh.heads, 1024
			store := nn.NewStore(dev)
			defer store.Close()
			g, err := gpt2.New(store.Root(), c)
			if err != nil {
				return err
			}
			rng := rand.New(rand.NewPCG(uint64(global.seed), 1))
			xs := make([]data.Encoded, sh.batch)
			for i := range xs {
				x := data.Encoded{IDs: make([]int64, sh.seq), TypeIDs: make([]int64, sh.seq)}
				for j := range x.IDs {
					x.IDs[j] = rng.Int64N(c.VocabSize)
				}
				x.Labels = x.IDs
				xs[i] = x
			}
			ld, err := data.NewLoader(xs, data.Sampler{BatchSize: sh.batch}, data.Collator{})
			if err != nil {
				return err
			}
			tc := train.DefaultConfig()
			tc.OutputDir, tc.BatchSize, tc.MaxSteps, tc.BF16, tc.Seed = os.TempDir(), sh.batch, steps+warmup, b.BF16, global.seed
			tc.Optimizer.WeightDecay = 0.01
			l, err := train.New(tc, rlhf.CausalStage(gpt2.NewCausalLM(g, store)), ld)
			if err != nil {
				return err
			}
			defer l.Close()
			on, why := l.BF16()
			fmt.Fprintln(cmd.ErrOrStderr(), "bf16:", why)
			var wall, cpu time.Duration
			for i := range steps + warmup {
				start, cpu0 := time.Now(), procCPU()
				if _, err := l.Step(); err != nil {
					return err
				}
				if i >= warmup {
					wall, cpu = wall+time.Since(start), cpu+procCPU()-cpu0
				}
			}
			per := wall.Seconds() / float64(steps)
			_, n := store.NumParams()
			fmt.Fprintf(cmd.OutOrStdout(), "gotrl train %-5s %d×%d vocab %d params %.1fM batch %d×%d bf16=%v threads %d: %.3f s/step  %.3f cpu s/step  %.0f tokens/s (%d steps after %d warm-up)\n",
				sh.name, sh.layers, sh.embd, c.VocabSize, float64(n)/1e6, sh.batch, sh.seq, on, tensor.Threads(), per, cpu.Seconds()/float64(steps), float64(sh.batch*sh.seq)/per, steps, warmup)
			printAlloc(cmd.ErrOrStderr())
			return nil
		},
	}
	cmd.Flags().StringVar(&shape, "shape", "small", "big (12×768, batch 8×256) or small (2×128, batch 8×64)")
	cmd.Flags().IntVar(&steps, "steps", 10, "measured steps")
	cmd.Flags().IntVar(&warmup, "warmup", 1, "unmeasured warm-up steps")
	mustBind(cmd, &b) // the same --bf16 as the training commands
	return cmd
}
