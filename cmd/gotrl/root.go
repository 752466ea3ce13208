package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/config"
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
	pf.Int64Var(&global.seed, "seed", 42, config.Vocabulary["seed"])
	pf.IntVar(&global.threads, "threads", 0, "libtorch CPU threads (0: libtorch's default)")
	root.AddCommand(newVersionCmd(), newEnvCmd(), newBenchCmd(), newDataCmd())
	root.AddCommand(newPretrainCmd(), newSFTCmd(), newRMCmd(), newPlotCmd())
	root.AddCommand(newGenerateCmd(), newEvalCmd(), newDownloadCmd())
	root.AddCommand(newPPOCmd(), newPipelineCmd())
	root.AddCommand(newPromptCmd())
	root.AddCommand(newTokenizerCmd())
	return root
}

// setup applies the global flags, seeds libtorch and returns the chosen
// device. Training commands pass their config's seed (their --seed
// shadows the global one).
func setup(seed int64) (gotch.Device, error) {
	if global.threads != 0 {
		if err := tensor.SetThreads(global.threads); err != nil {
			return gotch.CPU, fmt.Errorf("--threads: %w", err)
		}
	}
	tensor.Seed(seed)
	dev, err := tensor.ParseDevice(global.device)
	if err != nil {
		return gotch.CPU, fmt.Errorf("--device: %w", err)
	}
	return dev, nil
}
