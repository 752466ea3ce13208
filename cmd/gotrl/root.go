package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals are the flags every subcommand shares.
type globals struct {
	device  string
	seed    int64
	threads int
}

var global globals

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "gotrl",
		Short:         "Train, align and prompt transformer language models on libtorch, from Go",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&global.device, "device", "auto", "device: auto, cpu, cuda or cuda:N")
	pf.Int64Var(&global.seed, "seed", 42, "random seed")
	pf.IntVar(&global.threads, "threads", 0, "libtorch CPU threads (0: libtorch's default)")
	root.AddCommand(newVersionCmd(), newEnvCmd(), newBenchCmd(), newDataCmd())
	root.AddCommand(newPretrainCmd(), newSFTCmd(), newRMCmd(), newPlotCmd())
	root.AddCommand(newGenerateCmd())
	root.AddCommand(newPPOCmd())
	root.AddCommand(newPromptCmd())
	return root
}

// setup applies the global flags and returns the chosen device.
func setup() (gotch.Device, error) {
	if _, err := tensor.AllocatorInfo(); err != nil {
		return gotch.CPU, err
	}
	if global.threads != 0 {
		if err := tensor.SetThreads(global.threads); err != nil {
			return gotch.CPU, fmt.Errorf("--threads: %w", err)
		}
	}
	tensor.Seed(global.seed)
	dev, err := tensor.ParseDevice(global.device)
	if err != nil {
		return gotch.CPU, fmt.Errorf("--device: %w", err)
	}
	return dev, nil
}
