package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newSFTCmd() *cobra.Command {
	cfg := rlhf.DefaultSFT()
	s := &stage{cfg: &cfg, defaults: func() any { c := rlhf.DefaultSFT(); return &c }, seed: &cfg.Train.Seed, outputDir: &cfg.Train.OutputDir}
	cmd := &cobra.Command{
		Use:   "sft",
		Short: "Supervised fine-tuning on prompt/completion pairs (TRL SFTTrainer): decoders and encoder-decoders",
		Long: "Fine-tune a causal LM (GPT-2) or an encoder-decoder (T5) on prompt → completion pairs.\n" +
			"Data: JSON/JSONL/CSV records with \"prompt\" and \"response\" (or \"completion\") fields;\n" +
			"rename fields with --fields prompt=content --fields response=title.\n" +
			"The loss covers the completion only unless --loss-on-all-tokens." + "\n\n" + data.Formats(data.StageSFT),
		Example: "  gotrl sft --model-name-or-path runs/pretrain --train-file csl.json --fields prompt=content --fields response=title \\\n" +
			"      --output-dir runs/sft --max-steps 300 --eval-steps 50\n" +
			"  gotrl sft --config sft.yaml --learning-rate 5e-5      # flags override the file\n" +
			"  gotrl sft --resume runs/sft                           # continue exactly where it stopped",
		Args: cobra.NoArgs,
		RunE: s.runE(&cfg.Data, &cfg.Model, &cfg.Train, func(ctx context.Context, env train.Env) (train.State, error) {
			return rlhf.SFT(ctx, cfg, env)
		}),
	}
	s.bind(cmd)
	return cmd
}
