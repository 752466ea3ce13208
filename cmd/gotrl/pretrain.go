package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newPretrainCmd() *cobra.Command {
	cfg := rlhf.DefaultPretrain()
	s := &stage{cfg: &cfg, defaults: func() any { c := rlhf.DefaultPretrain(); return &c }, seed: &cfg.Train.Seed, outputDir: &cfg.Train.OutputDir}
	cmd := &cobra.Command{
		Use:   "pretrain",
		Short: "Pretrain from a text corpus: causal LM (GPT-2), masked LM (BERT) or span corruption (T5)",
		Long: "Pretrain a model from scratch (--config-name) or continue from a checkpoint (--model-name-or-path).\n" +
			"Data: a .txt file of one document per line, or JSON/JSONL/CSV records whose --dataset-text-field holds a document.\n" +
			"The objective follows the model: next-token prediction for decoders (run_clm), masked LM for encoders\n" +
			"(run_mlm, --whole-word-mask), span corruption for encoder-decoders (run_t5_mlm).",
		Example: "  gotrl pretrain --config-name gpt2-small-zh.json --tokenizer vocab.txt --train-file corpus.txt --output-dir runs/pretrain --max-steps 1000\n" +
			"  gotrl pretrain --model-name-or-path runs/bert --train-file docs.jsonl --dataset-text-field content --whole-word-mask -o runs/mlm",
		Args: cobra.NoArgs,
		RunE: s.runE(&cfg.Data, &cfg.Model, &cfg.Train, func(ctx context.Context, env train.Env) (train.State, error) {
			return rlhf.Pretrain(ctx, cfg, env)
		}),
	}
	s.bind(cmd)
	return cmd
}
