package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newClassifierCmd() *cobra.Command {
	cfg := rlhf.DefaultClassifier()
	s := &stage{cfg: &cfg, defaults: func() any { c := rlhf.DefaultClassifier(); return &c }, seed: &cfg.Train.Seed, outputDir: &cfg.Train.OutputDir}
	cmd := &cobra.Command{
		Use:   "classifier",
		Short: "Fine-tune a sequence classifier (BERT, RoBERTa or GPT-2 ForSequenceClassification) on labeled texts",
		Long: "Train a text classifier, as HF's Trainer does with AutoModelForSequenceClassification (run_glue):\n" +
			"from a pretrained model (a new head with --num-labels outputs) or a classifier checkpoint.\n" +
			"Data: records with \"text\" (or ChnSentiCorp's \"review\") and an integer \"label\" (0, 1, …).\n" +
			"Evaluation reports loss, accuracy and macro-F1; the most accurate checkpoint is the best.\n" +
			"The result scores PPO samples as a reward: gotrl ppo --reward-model DIR --reward-label 1.",
		Example: "  gotrl classifier --model-name-or-path runs/bert-base --train-file train.csv --validation-file dev.csv \\\n" +
			"      --output-dir runs/sentiment --num-train-epochs 2 --learning-rate 3e-5",
		Args: cobra.NoArgs,
		RunE: s.runE(&cfg.Data, &cfg.Model, &cfg.Train, func(ctx context.Context, env train.Env) (train.State, error) {
			return rlhf.Classifier(ctx, cfg, env)
		}),
	}
	s.bind(cmd)
	return cmd
}
