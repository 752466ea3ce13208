package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks that print figures (per-op cost, memory, training and generation speed)",
	}
	cmd.AddCommand(newBenchOpsCmd(), newBenchMemoryCmd())
	cmd.AddCommand(newBenchTrainCmd())
	cmd.AddCommand(newBenchGenerateCmd())
	cmd.AddCommand(newBenchPPOCmd())
	return cmd
}

func newBenchOpsCmd() *cobra.Command {
	var n, size int
	cmd := &cobra.Command{
		Use:   "ops",
		Short: "Per-op cost of a small add + free through gotrl's patched gotch, and RSS over the run",
		Example: "  gotrl bench ops --threads 1\n" +
			"  gotrl bench ops -n 2000000   # the memory check: RSS must stay flat",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := setup(); err != nil {
				return err
			}
			a, err := ts.Ones([]int64{int64(size), int64(size)}, gotch.Float, gotch.CPU)
			if err != nil {
				return err
			}
			defer tensor.Free(a)
			run := func(k int) error {
				for i := 0; i < k; i++ {
					c, err := a.Add(a, false)
					if err != nil {
						return err
					}
					tensor.Free(c)
				}
				return nil
			}
			if err := run(20000); err != nil { // warm up allocator and caches
				return err
			}
			rss0 := rssMB()
			start := time.Now()
			if err := run(n); err != nil {
				return err
			}
			el := time.Since(start)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "gotrl (patched gotch)  %dx%d add+free  %.3f µs/op over %d ops (threads %d)\n",
				size, size, float64(el.Nanoseconds())/1e3/float64(n), n, tensor.Threads())
			fmt.Fprintf(out, "rss  start %.1f MB  end %.1f MB  live tensors %d\n", rss0, rssMB(), tensor.Live())
			return nil
		},
	}
	cmd.Flags().IntVarP(&n, "n", "n", 1000000, "number of ops")
	cmd.Flags().IntVar(&size, "size", 8, "side of the square float32 operand")
	return cmd
}

// rssMB reads the resident set size from /proc (Linux); 0 elsewhere.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func randn(shape []int64) (*tensor.Tensor, error) { return ts.Randn(shape, gotch.Float, gotch.CPU) }
