package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/train"
)

// newBenchMemoryCmd trains a small two-layer network for many steps and
// prints RSS before and after: with deterministic freeing it must stay flat.
func newBenchMemoryCmd() *cobra.Command {
	var steps int
	cmd := &cobra.Command{
		Use:     "memory",
		Short:   "RSS over many forward/backward/AdamW steps of a small model (must stay flat)",
		Example: "  gotrl bench memory --steps 20000 --threads 1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := setup(global.seed); err != nil {
				return err
			}
			return benchMemory(cmd, steps)
		},
	}
	cmd.Flags().IntVar(&steps, "steps", 20000, "measured steps")
	return cmd
}

func benchMemory(cmd *cobra.Command, steps int) (err error) {
	defer tensor.Recover(&err)
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	l1 := layers.NewLinear(store.Root().Sub("l1"), 64, 128, true, 0)
	l2 := layers.NewLinear(store.Root().Sub("l2"), 128, 1, true, 0)
	opt, err := train.NewAdamW(store.Trainable(), train.DefaultAdamW())
	if err != nil {
		return err
	}
	defer opt.Close()
	x, err := randn([]int64{32, 64})
	if err != nil {
		return err
	}
	defer tensor.Free(x)
	step := func() error {
		if err := opt.ZeroGrad(); err != nil {
			return err
		}
		if err := tensor.Catch(func() {
			s := tensor.NewScope()
			defer s.Close()
			h := s.Add(l1.Forward(x))
			h = s.T(h.Relu(false))
			y := s.Add(l2.Forward(h))
			loss := s.T(s.T(y.Square(false)).Mean(gotch.Float, false))
			tensor.Check(loss.Backward())
		}); err != nil {
			return err
		}
		return opt.Step(1e-3)
	}
	for i := 0; i < 200; i++ { // warm up allocator and optimizer state
		if err := step(); err != nil {
			return err
		}
	}
	rss0, live0 := rssMB(), tensor.Live()
	start := time.Now()
	for i := 0; i < steps; i++ {
		if err := step(); err != nil {
			return err
		}
	}
	el := time.Since(start)
	fmt.Fprintf(cmd.OutOrStdout(), "small MLP 64-128-1, batch 32: %d forward/backward/AdamW steps in %.1f s (%.0f µs/step)\n",
		steps, el.Seconds(), float64(el.Microseconds())/float64(steps))
	fmt.Fprintf(cmd.OutOrStdout(), "rss  start %.1f MB  end %.1f MB  live tensors %d → %d\n", rss0, rssMB(), live0, tensor.Live())
	return nil
}
