package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/train"
)

func newPlotCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "plot RUN_DIR",
		Short:   "Draw PNG curves (loss, lr, grad norm, eval metrics) from a run's metrics.jsonl",
		Example: "  gotrl plot runs/sft    # writes runs/sft/plots/*.png",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := train.PlotFiles(args[0])
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), f)
			}
			return nil
		},
	}
}
