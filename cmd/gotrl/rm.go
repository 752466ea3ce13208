package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newRMCmd() *cobra.Command {
	cfg := rlhf.DefaultRM()
	var run runFlags
	cmd := &cobra.Command{
		Use:   "rm",
		Short: "Train a scalar reward model on preference pairs or ranked lists (pairwise loss)",
		Example: "  gotrl rm --init runs/sft --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt --schema cmrc \\\n" +
			"      --data ../shared/data/cmrc2018/cmrc_dev.json --output runs/rm --max-steps 200\n" +
			"  gotrl rm score --model runs/rm --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt --prompt \"文章…\" \"问题一？\" \"问题二？\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := run.resolve(cmd, &cfg, &cfg.Train, func() { cfg = rlhf.DefaultRM() })
			if err != nil {
				return err
			}
			if cfg.Data.Tokenizer == "" {
				cfg.Data.Tokenizer = cfg.Model.Init // earlier stages copy their tokenizer there
			}
			return runStage(cmd, cfg.Data.Tokenizer, cfg.Train.OutputDir, func(ctx context.Context) (train.State, error) { return rlhf.RM(ctx, cfg, env) })
		},
	}
	f := cmd.Flags()
	run.bind(f)
	bindTrain(f, &cfg.Train)
	bindModel(f, &cfg.Model)
	bindData(f, &cfg.Data)
	f.StringVar(&cfg.Schema, "schema", cfg.Schema, "preference {prompt,chosen,rejected}, ranked {prompt,responses} or cmrc (CMRC2018 RewardRank lists)")
	f.Float64Var(&cfg.Margin, "margin", cfg.Margin, "required reward margin in −log σ(r_c − r_r − margin)")
	cmd.AddCommand(newRMScoreCmd())
	return cmd
}

func newRMScoreCmd() *cobra.Command {
	var model, tok, prompt string
	var maxLen int
	cmd := &cobra.Command{
		Use:     "score RESPONSE...",
		Short:   "Print the reward of each response (to --prompt) under a trained reward model",
		Example: "  gotrl rm score --model runs/rm --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt --prompt \"文章…\" \"好问题？\" \"\"",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if model == "" || tok == "" {
				return errors.New("--model and --tokenizer are required")
			}
			if err := resolveFlags(cmd, "model", "tokenizer"); err != nil {
				return err
			}
			dev, err := setup()
			if err != nil {
				return err
			}
			rs, err := rlhf.Score(model, tok, dev, prompt, args, maxLen)
			if err != nil {
				return err
			}
			for i, r := range rs {
				fmt.Fprintf(cmd.OutOrStdout(), "%.4f\t%s\n", r, args[i])
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "reward model directory (an rm run or one of its checkpoints)")
	cmd.Flags().StringVar(&tok, "tokenizer", "", "tokenizer directory or vocabulary file")
	cmd.Flags().StringVar(&prompt, "prompt", "", "prompt (context) the responses answer")
	cmd.Flags().IntVar(&maxLen, "max-length", 512, "tokens per (prompt, response)")
	return cmd
}
