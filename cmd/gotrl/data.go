package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
)

func newDataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Data set helpers",
	}
	var n int
	synth := &cobra.Command{
		Use:   "synth OUT_DIR",
		Short: "Write the synthetic abstract→title data set the demo trains on",
		Long: "Writes corpus.txt (pretraining), sft.jsonl / sft_eval.jsonl (prompt/response),\n" +
			"ranked.jsonl (responses best→worst, for the reward model), prompts.jsonl (PPO)\n" +
			"and vocab.txt (a character vocabulary for a BERT-style tokenizer).",
		Example: "  gotrl data synth runs/demo/data -n 2000 --seed 1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := data.WriteSynthetic(args[0], n, uint64(global.seed))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s in %s\n", strings.Join(files, ", "), args[0])
			return nil
		},
	}
	synth.Flags().IntVarP(&n, "n", "n", 2000, "number of abstract/title pairs")
	cmd.AddCommand(synth, newDataSplitCmd(), newDataTextCmd(), newDataTriplesCmd(), newDataHeadCmd())
	return cmd
}
