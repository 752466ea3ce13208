package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/rlhf/reward"
)

func newRMCmd() *cobra.Command {
	cfg := rlhf.DefaultRM()
	s := &stage{cfg: &cfg, defaults: func() any { c := rlhf.DefaultRM(); return &c }, seed: &cfg.Train.Seed, outputDir: &cfg.Train.OutputDir}
	cmd := &cobra.Command{
		Use:   "rm",
		Short: "Train a scalar reward model on preference pairs or ranked lists (pairwise loss, TRL RewardTrainer)",
		Long: "Train a reward model (GPT-2: GPT2ForSequenceClassification with one label; BERT: TRL's value head on [CLS]).\n" +
			"Data by --schema: preference {prompt, chosen, rejected}; ranked {prompt, responses: best first};\n" +
			"cmrc: the book's RewardRank lists built from CMRC2018 (SQuAD layout)." + "\n\n" + data.Formats(data.StagePreference, data.StageRanked),
		Example: "  gotrl rm --model-name-or-path runs/sft --schema cmrc --train-file cmrc_dev.json --output-dir runs/rm --max-steps 200\n" +
			"  gotrl rm score --model-name-or-path runs/rm --prompt \"文章…\" \"问题一？\" \"问题二？\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := s.resolve(cmd)
			if err != nil {
				return err
			}
			if cfg.Data.Tokenizer == "" {
				cfg.Data.Tokenizer = cfg.Model.Init // earlier stages copy their tokenizer there
			}
			return runStage(cmd, cfg.Data.Tokenizer, cfg.Train.OutputDir, func(ctx context.Context) (string, error) {
				st, err := rlhf.RM(ctx, cfg, env)
				return stateSummary(st), err
			})
		},
	}
	s.bind(cmd)
	cmd.AddCommand(newRMScoreCmd())
	return cmd
}

// scoreConfig is `gotrl rm score`'s configuration.
type scoreConfig struct {
	Model     string        `yaml:"model_name_or_path" hub:"model" alias:"model" help:"reward model or classifier: a gotrl rm run, one of its checkpoints, or any sequence classifier"`
	Tokenizer string        `yaml:"tokenizer_name" hub:"tokenizer" alias:"tokenizer" help:"its tokenizer (default: the model directory)"`
	Prompt    string        `yaml:"prompt" help:"prompt (context) the responses answer"`
	MaxLen    int           `yaml:"max_length" help:"tokens per scored input; 0 = the model's position limit"`
	Label     int           `yaml:"reward_label" help:"class whose logit or probability is printed (reward models: 0)"`
	Input     reward.Input  `yaml:"reward_input" help:"pair (prompt, response) or text (prompt+response as one text); default: pair for one-label models, text for classifiers"`
	Output    reward.Output `yaml:"reward_output" help:"logit or probability (softmax) of the label"`
}

func newRMScoreCmd() *cobra.Command {
	var c scoreConfig
	cmd := &cobra.Command{
		Use:     "score RESPONSE...",
		Short:   "Print the reward of each response (to --prompt): the scoring PPO uses",
		Example: "  gotrl rm score --model-name-or-path runs/rm --prompt \"文章…\" \"好问题？\" \"\"",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if c.Model == "" {
				return errors.New("--model-name-or-path is required")
			}
			if err := resolveHub(cmd, &c); err != nil {
				return err
			}
			dev, err := setup(0)
			if err != nil {
				return err
			}
			m, err := reward.Open(c.Model, reward.Options{Device: dev, Tokenizer: c.Tokenizer, Label: c.Label, Input: c.Input, Output: c.Output, MaxLength: c.MaxLen})
			if err != nil {
				return err
			}
			defer m.Close()
			prompts := make([]string, len(args))
			for i := range prompts {
				prompts[i] = c.Prompt
			}
			rs, err := m.Score(cmd.Context(), prompts, args)
			if err != nil {
				return err
			}
			for i, r := range rs {
				fmt.Fprintf(cmd.OutOrStdout(), "%.4f\t%s\n", r, args[i])
			}
			return nil
		},
	}
	mustBind(cmd, &c)
	return cmd
}
