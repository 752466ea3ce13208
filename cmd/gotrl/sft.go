package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newSFTCmd() *cobra.Command {
	cfg := rlhf.DefaultSFT()
	var run runFlags
	cmd := &cobra.Command{
		Use:   "sft",
		Short: "Supervised fine-tuning of a decoder on prompt/response pairs (TRL SFTTrainer)",
		Example: "  gotrl sft --init runs/pretrain --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt --data ../shared/data/csl-summarization/csl.json \\\n" +
			"      --field prompt=content --field response=title --output runs/sft --max-steps 300 --eval-steps 50\n" +
			"  gotrl sft --config sft.yaml --lr 5e-5      # flags override the file\n" +
			"  gotrl sft --resume runs/sft                # continue exactly where it stopped",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := run.resolve(cmd, &cfg, &cfg.Train, func() { cfg = rlhf.DefaultSFT() })
			if err != nil {
				return err
			}
			if cfg.Data.Tokenizer == "" {
				cfg.Data.Tokenizer = cfg.Model.Init // earlier stages copy their tokenizer there
			}
			return runStage(cmd, cfg.Data.Tokenizer, cfg.Train.OutputDir, func(ctx context.Context) (train.State, error) { return rlhf.SFT(ctx, cfg, env) })
		},
	}
	f := cmd.Flags()
	run.bind(f)
	bindTrain(f, &cfg.Train)
	bindModel(f, &cfg.Model)
	bindData(f, &cfg.Data)
	f.BoolVar(&cfg.LossOnAll, "loss-on-all", cfg.LossOnAll, "learn the prompt tokens too (default: response only)")
	f.IntVar(&cfg.MaxPrompt, "max-prompt-length", cfg.MaxPrompt, "cap on prompt tokens; 0 = none")
	f.IntVar(&cfg.Samples, "eval-samples", cfg.Samples, "eval prompts to complete at each evaluation")
	f.IntVar(&cfg.Generation.MaxNewTokens, "max-new-tokens", cfg.Generation.MaxNewTokens, "tokens generated per sample")
	return cmd
}
