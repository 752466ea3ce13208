package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/train"
)

func newPlotCmd() *cobra.Command {
	var compare, metric string
	cmd := &cobra.Command{
		Use:   "plot RUN_DIR [RUN_DIR...]",
		Short: "Draw PNG curves (loss, lr, grad norm, eval metrics) from a run's metrics.jsonl",
		Example: "  gotrl plot runs/sft    # writes runs/sft/plots/*.png\n" +
			"  gotrl plot --compare fp32-vs-bf16.png --metric loss runs/fp32 runs/bf16",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if compare != "" {
				if err := train.PlotCompare(compare, metric, args); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), compare)
				return nil
			}
			if len(args) > 1 {
				return fmt.Errorf("several runs need --compare OUT.png")
			}
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
	cmd.Flags().StringVar(&compare, "compare", "", "draw --metric of every RUN_DIR on one chart into this PNG")
	cmd.Flags().StringVar(&metric, "metric", "loss", "metric to compare")
	return cmd
}
