package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/rlhf/ppo"
)

func newPPOCmd() *cobra.Command {
	cfg := ppo.DefaultRunConfig()
	s := &stage{cfg: &cfg, defaults: func() any { c := ppo.DefaultRunConfig(); return &c }, seed: &cfg.PPO.Seed, outputDir: &cfg.OutputDir}
	cmd := &cobra.Command{
		Use:   "ppo",
		Short: "RLHF stage 3: PPO on a policy (GPT-2 or T5 + value head) against reward models of any family (TRL PPOTrainer)",
		Long: "Train a policy with PPO (TRL 0.11's PPOTrainer, step for step) against one or more reward models.\n" +
			"Prompts (--train-file): JSONL/JSON/CSV records with a \"prompt\" field (rename with --fields prompt=NAME),\n" +
			"or a .txt file of one prompt per line; each is encoded as SFT encodes a prompt.\n" +
			"Rewards (--reward-model, repeatable, summed with --reward-weight): a gotrl rm run or any sequence\n" +
			"classifier (GPT-2, BERT), each with its own tokenizer: when the vocabularies differ, responses are\n" +
			"decoded to text and re-encoded for the reward model, as TRL's sentiment example does with a pipeline." + "\n\n" + data.Formats(data.StagePrompts),
		Example: "  gotrl ppo --model-name-or-path runs/sft --reward-model runs/rm --train-file prompts.jsonl --output-dir runs/ppo\n" +
			"  gotrl ppo --model-name-or-path runs/gpt2 --reward-model runs/bert-sentiment --reward-label 1 --reward-output probability \\\n" +
			"      --train-file prefixes.txt --output-dir runs/ppo-sentiment\n" +
			"  gotrl ppo --resume runs/ppo",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := s.resolve(cmd)
			if err != nil {
				return err
			}
			tok := cfg.Tokenizer
			if tok == "" {
				tok = cfg.Model
			}
			return runStage(cmd, tok, cfg.OutputDir, func(ctx context.Context) (string, error) {
				st, err := ppo.Train(ctx, cfg, env)
				return fmt.Sprintf("ppo: %d steps, checkpoints and plots in %s", st.Step, cfg.OutputDir), err
			})
		},
	}
	s.bind(cmd)
	return cmd
}
