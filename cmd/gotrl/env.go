package main

import (
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/internal/tensor"
)

func newEnvCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "env",
		Short:   "Print the libtorch build, threads and devices gotrl sees",
		Example: "  gotrl env\n  gotrl env --threads 1 --device cpu",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dev, err := setup(global.seed)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintf(w, "gotrl\t%s\n", version)
			fmt.Fprintf(w, "go\t%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(w, "libtorch\t%s\n", tensor.Version())
			fmt.Fprintf(w, "gotch\t%s (patched by scripts/gotch/patch.sh)\n", tensor.GotchVersion)
			if name := tensor.CPUName(); name != "" {
				fmt.Fprintf(w, "cpu\t%s\n", name)
			}
			fmt.Fprintf(w, "cpu threads\t%d (of %d logical CPUs)\n", tensor.Threads(), runtime.NumCPU())
			fmt.Fprintf(w, "cpu kernels\t%s\n", kernelISA(tensor.KernelLanes()))
			alloc, _ := tensor.AllocatorInfo()
			fmt.Fprintf(w, "cpu allocator\t%s (%s=cache|malloc|off)\n", alloc, tensor.AllocEnv)
			bf16, off := tensor.CPUBF16()
			if bf16 == "" {
				bf16 = "no: " + off + "; --bf16 auto is off"
			}
			fmt.Fprintf(w, "cpu bf16\t%s\n", bf16)
			fmt.Fprintf(w, "cuda available\t%v\n", tensor.CUDAAvailable())
			fmt.Fprintf(w, "cuda devices\t%d\n", tensor.CUDADevices())
			fmt.Fprintf(w, "default device\t%s\n", tensor.DeviceName(dev))
			return w.Flush()
		},
	}
}

// kernelISA names the vector instructions gotrl's own kernels run at a
// width of lanes float32s.
func kernelISA(lanes int) string {
	switch lanes {
	case 16:
		return "AVX-512 (16 float32 lanes)"
	case 8:
		return "AVX2 and FMA (8 float32 lanes)"
	}
	return fmt.Sprintf("scalar (%d lane; ATEN_CPU_CAPABILITY or the CPU allows no AVX2)", lanes)
}
