package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/rlhf/reward"
	"github.com/gotrl/gotrl/pkg/train"
)

func newRMCmd() *cobra.Command {
	cfg := rlhf.DefaultRM()
	s := &stage{cfg: &cfg, defaults: func() any { c := rlhf.DefaultRM(); return &c }, seed: &cfg.Train.Seed, outputDir: &cfg.Train.OutputDir}
	cmd := &cobra.Command{
		Use:   "rm",
		Short: "Train a scalar reward model on preference pairs or ranked lists (pairwise loss, TRL RewardTrainer)",
		Long: "Train a reward model (GPT-2: GPT2ForSequenceClassification with one label; BERT, RoBERTa: TRL's value head on the first token).\n" +
			"Data by --schema: preference {prompt, chosen, rejected}; ranked {prompt, responses: best first};\n" +
			"cmrc: the book's RewardRank lists built from CMRC2018 (SQuAD layout)." + "\n\n" + data.Formats(data.StagePreference, data.StageRanked),
		Example: "  gotrl rm --model-name-or-path runs/sft --schema cmrc --train-file cmrc_dev.json --output-dir runs/rm --max-steps 200\n" +
			"  gotrl rm score --model-name-or-path runs/rm --prompt \"文章…\" \"问题一？\" \"问题二？\"",
		Args: cobra.NoArgs,
		RunE: s.runE(&cfg.Data, &cfg.Model, &cfg.Train, func(ctx context.Context, env train.Env) (train.State, error) {
			return rlhf.RM(ctx, cfg, env)
		}),
	}
	s.bind(cmd)
	cmd.AddCommand(newRMScoreCmd())
	return cmd
}

// scoreConfig is `gotrl rm score`'s configuration.
type scoreConfig struct {
	Model     string        `yaml:"model_name_or_path" hub:"model" alias:"model"`
	Tokenizer string        `yaml:"tokenizer_name" hub:"tokenizer" alias:"tokenizer"`
	Prompt    []string      `yaml:"prompt"`
	MaxLen    int           `yaml:"max_length"`
	Label     []int         `yaml:"reward_label"`
	Input     reward.Input  `yaml:"reward_input"`
	Output    reward.Output `yaml:"reward_output"`
	File      string        `yaml:"input"`
	Fields    []string      `yaml:"fields" alias:"field"`
	Save      string        `yaml:"output_file" alias:"output"`
}

func newRMScoreCmd() *cobra.Command {
	var c scoreConfig
	cmd := &cobra.Command{
		Use:   "score [RESPONSE...]",
		Short: "Print the reward of each response (to --prompt): the scoring PPO uses",
		Long: "Scores the RESPONSE arguments (to --prompt), or with --input the records of a data file: \"response\"\n" +
			"and an optional \"prompt\" (--fields response=review reads another field). With --output-file each\n" +
			"record is written back unchanged plus \"reward\" and \"predicted_label\" (the classifier's most likely\n" +
			"label, an integer), so `gotrl eval classify --fields prediction=predicted_label --fields reference=label`\n" +
			"scores a classifier on a test split.",
		Example: "  gotrl rm score --model-name-or-path runs/rm --prompt \"文章…\" \"好问题？\" \"\"\n" +
			"  gotrl rm score --model-name-or-path runs/sentiment --input test.jsonl --fields response=review --output-file scored.jsonl",
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
			if c.File != "" {
				if len(args) > 0 || len(c.Prompt) > 0 {
					return errors.New("give responses as arguments (with --prompt) or --input, not both")
				}
				if c.Save != "" {
					if err := checkOutputFile("--output-file", c.Save); err != nil {
						return err
					}
				}
			} else if len(args) == 0 {
				return errors.New("give responses to score as arguments or --input FILE")
			}
			if len(c.Label) > 1 || len(c.Prompt) > 1 && len(c.Prompt) != len(args) {
				return fmt.Errorf("give one --reward-label, and one --prompt or one per response (%d responses)", len(args))
			}
			label := 0
			if len(c.Label) == 1 {
				label = c.Label[0]
			}
			m, err := reward.Open(c.Model, reward.Options{Device: dev, Tokenizer: c.Tokenizer, Label: label, Input: c.Input, Output: c.Output, MaxLength: c.MaxLen})
			if err != nil {
				return err
			}
			defer m.Close()
			if c.File != "" {
				return scoreFile(cmd, m, c)
			}
			prompts := make([]string, len(args))
			for i := range prompts {
				if len(c.Prompt) == 1 {
					prompts[i] = c.Prompt[0]
				} else if len(c.Prompt) > 1 {
					prompts[i] = c.Prompt[i]
				}
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

// scoreFile scores the records of c.File and prints the mean reward, or
// writes each record back with its reward and predicted label.
func scoreFile(cmd *cobra.Command, m *reward.Model, c scoreConfig) error {
	fm, err := data.ParseFieldMap(c.Fields)
	if err != nil {
		return fmt.Errorf("--fields: %w", err)
	}
	var recs []data.Record
	var prompts, responses []string
	if _, err := data.Read(c.File, data.Options{Format: inputFormat(c.File), Fields: fm}, func(r data.Record) error {
		resp, err := r.String("response")
		if err != nil {
			return err
		}
		var p string
		if r.Has("prompt") {
			if p, err = r.String("prompt"); err != nil {
				return err
			}
		}
		recs, prompts, responses = append(recs, r), append(prompts, p), append(responses, resp)
		return nil
	}); err != nil {
		return err
	}
	rs, labels, err := m.Classify(cmd.Context(), prompts, responses)
	if err != nil {
		return err
	}
	mean := 0.0
	counts := map[int]int{}
	for i, r := range rs {
		mean += r / float64(len(rs))
		counts[labels[i]]++
		recs[i].Fields["reward"], recs[i].Fields["predicted_label"] = r, labels[i]
	}
	if c.Save != "" {
		if err := writeRecords(c.Save, recs); err != nil {
			return err
		}
	}
	var shares []string
	for _, l := range slices.Sorted(maps.Keys(counts)) {
		shares = append(shares, fmt.Sprintf("label %d %.4f", l, float64(counts[l])/float64(len(rs))))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d records, mean reward %.4f, predicted %s\n", c.File, len(rs), mean, strings.Join(shares, ", "))
	return nil
}
