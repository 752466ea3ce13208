package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newPretrainCmd() *cobra.Command {
	cfg := rlhf.DefaultPretrain()
	var run runFlags
	cmd := &cobra.Command{
		Use:   "pretrain",
		Short: "Pretrain from a text corpus: causal LM (GPT-2), masked LM (BERT) or span corruption (T5)",
		Example: "  gotrl pretrain --model-config ../shared/configs/gpt2-chinese-config.json --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt \\\n" +
			"      --data corpus.txt --output runs/pretrain --max-steps 1000\n" +
			"  gotrl pretrain --init runs/bert --data docs.jsonl --text-field content --whole-word-mask --output runs/mlm",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := run.resolve(cmd, &cfg, &cfg.Train, func() { cfg = rlhf.DefaultPretrain() })
			if err != nil {
				return err
			}
			if cfg.Data.Tokenizer == "" {
				cfg.Data.Tokenizer = cfg.Model.Init // earlier stages copy their tokenizer there
			}
			return runStage(cmd, cfg.Data.Tokenizer, cfg.Train.OutputDir, func(ctx context.Context) (train.State, error) { return rlhf.Pretrain(ctx, cfg, env) })
		},
	}
	f := cmd.Flags()
	run.bind(f)
	bindTrain(f, &cfg.Train)
	bindModel(f, &cfg.Model)
	bindData(f, &cfg.Data)
	f.StringVar(&cfg.TextField, "text-field", cfg.TextField, "record field holding a document (.txt: one document per line)")
	f.StringVar(&cfg.Objective, "objective", cfg.Objective, "causal, mlm or span (default: from the model type)")
	f.Float64Var(&cfg.MLMProb, "mlm-probability", cfg.MLMProb, "fraction of tokens masked (mlm)")
	f.BoolVar(&cfg.WholeWord, "whole-word-mask", cfg.WholeWord, "mask whole words (mlm)")
	f.Float64Var(&cfg.NoiseDensity, "noise-density", cfg.NoiseDensity, "fraction of tokens in noise spans (span)")
	f.Float64Var(&cfg.MeanSpan, "mean-span", cfg.MeanSpan, "mean noise span length (span)")
	return cmd
}
