package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks that print figures (per-op cost, memory, training and generation speed)",
		// the benchmarks' numbers are counts and sizes, bound by hand
		// beside the shared ones: a negative one is refused here, naming
		// its flag (it printed negative timings, or a libtorch backtrace)
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			cmd.Flags().Visit(func(f *pflag.Flag) {
				if t := f.Value.Type(); err != nil || t != "int" && t != "intSlice" {
					return
				}
				for _, s := range strings.Split(strings.Trim(f.Value.String(), "[]"), ",") {
					if n, perr := strconv.Atoi(s); perr == nil && n < 0 && err == nil {
						err = fmt.Errorf("--%s %d: want ≥ 0", f.Name, n)
					}
				}
			})
			return err
		},
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
		Long: "Prints wall time and CPU time of this thread per op (CPU time is what to compare\n" +
			"on a busy machine), for an op freed at once and for ops freed by a Scope in batches.",
		Example: "  gotrl bench ops --threads 1\n" +
			"  gotrl bench ops -n 2000000   # the memory check: RSS must stay flat",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := setup(global.seed); err != nil {
				return err
			}
			defer tensor.Pin()() // thread CPU time below is this thread's
			a, err := ts.Ones([]int64{int64(size), int64(size)}, gotch.Float, gotch.CPU)
			if err != nil {
				return err
			}
			defer tensor.Free(a)
			single := func(k int) error {
				for i := 0; i < k; i++ {
					c, err := a.Add(a, false)
					if err != nil {
						return err
					}
					tensor.Free(c)
				}
				return nil
			}
			scoped := func(k int) error {
				return tensor.Catch(func() {
					s := tensor.NewScope()
					defer s.Close()
					for i := 0; i < k; i++ {
						s.T(a.Add(a, false))
						if s.Len() == 32 {
							s.Close()
						}
					}
				})
			}
			out := cmd.OutOrStdout()
			rss0 := 0.0
			for _, v := range []struct {
				name string
				run  func(int) error
			}{{"add+free", single}, {"add in a Scope", scoped}} {
				if err := v.run(20000); err != nil { // warm up allocator and caches
					return err
				}
				if rss0 == 0 {
					rss0 = rssMB()
				}
				wall, cpu0 := time.Now(), threadCPU()
				if err := v.run(n); err != nil {
					return err
				}
				el, cpu := time.Since(wall), threadCPU()-cpu0
				fmt.Fprintf(out, "gotrl (patched gotch)  %dx%d %-15s %.3f µs/op wall  %.3f µs/op cpu  (%d ops, threads %d)\n",
					size, size, v.name, float64(el.Nanoseconds())/1e3/float64(n), float64(cpu.Nanoseconds())/1e3/float64(n), n, tensor.Threads())
			}
			fmt.Fprintf(out, "rss  start %.1f MB  end %.1f MB  live tensors %d\n", rss0, rssMB(), tensor.Live())
			return nil
		},
	}
	cmd.Flags().IntVarP(&n, "ops", "n", 1000000, "number of ops")
	cmd.Flags().IntVar(&size, "size", 8, "side of the square float32 operand")
	return cmd
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time (user + system) the whole process has used, all
// threads included: libtorch's thread team works on the step too.
func procCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// printAlloc writes the CPU allocator in use and, for the caching one, its
// counters.
func printAlloc(w io.Writer) {
	a, _ := tensor.AllocatorInfo()
	if a != tensor.AllocCache {
		fmt.Fprintf(w, "allocator %s\n", a)
		return
	}
	st := tensor.CacheStats()
	fmt.Fprintf(w, "allocator cache: %d hits, %d misses, %d unmaps; live %.0f MiB (peak %.0f), cached %.0f MiB, mapped peak %.0f MiB\n",
		st.Hits, st.Misses, st.Unmaps, mib(st.Live), mib(st.PeakLive), mib(st.Cached), mib(st.PeakMapped))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

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

// gpt2Shape is the random GPT-2 a benchmark builds, bound to --layers,
// --embd, --heads and --vocab.
type gpt2Shape struct{ layers, embd, heads, vocab int }

func (s *gpt2Shape) bind(f *pflag.FlagSet) {
	f.IntVar(&s.layers, "layers", s.layers, "n_layer")
	f.IntVar(&s.embd, "embd", s.embd, "n_embd")
	f.IntVar(&s.heads, "heads", s.heads, "n_head")
	f.IntVar(&s.vocab, "vocab", s.vocab, "vocab_size")
}

// config is GPT-2's default config at this shape with dropout off.
func (s gpt2Shape) config() gpt2.Config {
	c := gpt2.Default()
	c.NLayer, c.NEmbd, c.NHead, c.VocabSize = int64(s.layers), int64(s.embd), int64(s.heads), int64(s.vocab)
	c.EmbdPdrop, c.AttnPdrop, c.ResidPdrop = 0, 0, 0
	return c
}
