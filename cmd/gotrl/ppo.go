package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newPPOCmd() *cobra.Command {
	var tok, prompts, config string
	var overwrite bool
	var m rlhf.PPOModels
	c := rlhf.DefaultPPORunConfig()
	cmd := &cobra.Command{
		Use:   "ppo",
		Short: "RLHF stage 3: PPO on a policy (GPT-2 or T5 + value head) against a reward model",
		Example: "  gotrl ppo --model runs/sft --reward-model runs/rm --prompts prompts.jsonl --output runs/ppo\n" +
			"  gotrl ppo --config ppo.yaml --model runs/sft --reward-model imdb-cls --reward-label 1\n" +
			"  gotrl ppo --resume runs/ppo --model runs/sft --reward-model runs/rm --prompts prompts.jsonl",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := readPPOConfig(cmd, config, &c); err != nil {
				return err
			}
			if err := resolveFlags(cmd, "model", "ref-model", "reward-model", "tokenizer"); err != nil {
				return err
			}
			dev, err := setup()
			if err != nil {
				return err
			}
			c.PPO.Seed = global.seed
			if m.Resume != "" {
				c.OutputDir = m.Resume
			}
			if err := train.PrepareOutputDir(c.OutputDir, m.Resume != "", overwrite); err != nil {
				return err
			}
			tk, err := tokenizerFor(m.Policy, tok)
			if err != nil {
				return err
			}
			ids, err := encodePrompts(tk, prompts)
			if err != nil {
				return err
			}
			// Responses stop at the policy's eos (config.json, else the
			// tokenizer's eos or [SEP]) and pad with its pad id, as generate does.
			var policyConfig map[string]any
			if b, err := os.ReadFile(filepath.Join(m.Policy, "config.json")); err == nil {
				_ = json.Unmarshal(b, &policyConfig)
			}
			fillTokenIDs(&c.Rollout.Generate, policyConfig, tk)
			run, closeRun, err := rlhf.OpenPPORun(c, m, ids, dev)
			if err != nil {
				return err
			}
			defer closeRun()
			run.Out, run.Decode = cmd.ErrOrStderr(), func(ids []int64) string { return tokenizer.Text(tk, ids) }
			st, err := run.Run(cmd.Context())
			if err != nil {
				return err
			}
			src := tok
			if src == "" {
				src = m.Policy
			}
			if _, err := tokenizer.SaveFiles(src, c.OutputDir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ppo: %d steps, checkpoints and plots in %s\n", st.Step, c.OutputDir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&m.Policy, "model", "", "policy checkpoint (GPT-2 or T5; v_head.* optional)")
	f.StringVar(&m.Ref, "ref-model", "", "frozen reference model (default: --model)")
	f.StringVar(&tok, "tokenizer", "", "tokenizer directory or file (default: --model)")
	f.StringVar(&prompts, "prompts", "", `JSONL file of {"prompt": "..."} lines`)
	f.StringVar(&m.Reward, "reward-model", "", "reward model: a gotrl rm run or any GPT2ForSequenceClassification directory")
	f.IntVar(&m.RewardLabel, "reward-label", 0, "logit of this label is the reward")
	f.StringVar(&config, "config", "", "YAML file of PPORunConfig (ppo:, rollout:, steps, …); flags override it")
	f.StringVar(&m.Resume, "resume", "", "continue the run in this directory from its last checkpoint")
	f.BoolVar(&overwrite, "overwrite", false, "delete a non-empty --output first")
	f.StringVar(&c.OutputDir, "output", c.OutputDir, "run directory: metrics.jsonl, plots/, checkpoint-N/")
	f.IntVar(&c.Steps, "steps", c.Steps, "PPO iterations (rollout + update)")
	f.IntVar(&c.SaveSteps, "save-steps", c.SaveSteps, "checkpoint every N iterations (0: at the end)")
	f.IntVar(&c.SampleSteps, "sample-steps", c.SampleSteps, "print prompt/response/reward samples every N iterations")
	p := &c.PPO
	f.IntVar(&p.BatchSize, "batch-size", p.BatchSize, "samples per PPO step")
	f.IntVar(&p.MiniBatchSize, "mini-batch-size", p.MiniBatchSize, "samples per forward/backward")
	f.IntVar(&p.PPOEpochs, "ppo-epochs", p.PPOEpochs, "passes over each batch")
	f.Float64Var(&p.LearningRate, "lr", p.LearningRate, "Adam learning rate")
	f.Float64Var(&p.InitKLCoef, "init-kl-coef", p.InitKLCoef, "initial KL coefficient β")
	f.BoolVar(&p.AdapKLCtrl, "adaptive-kl", p.AdapKLCtrl, "adapt β towards --target")
	f.Float64Var(&p.Target, "target", p.Target, "adaptive KL target")
	f.StringVar(&p.KLPenalty, "kl-penalty", p.KLPenalty, "kl, abs, mse or full")
	f.Float64Var(&p.MaxGradNorm, "max-grad-norm", p.MaxGradNorm, "gradient clipping (0 = off)")
	f.Float64Var(&p.EntropyCoef, "entropy-coef", p.EntropyCoef, "entropy bonus weight")
	r := &c.Rollout
	f.IntVar(&r.MinNewTokens, "min-new-tokens", r.MinNewTokens, "shortest response length drawn")
	f.IntVar(&r.MaxNewTokens, "max-new-tokens", r.MaxNewTokens, "longest response length drawn")
	f.IntVar(&r.Generate.TopK, "top-k", r.Generate.TopK, "sampling top-k (0 = off, the book's pure sampling)")
	f.Float64Var(&r.Generate.TopP, "top-p", r.Generate.TopP, "nucleus mass (1 = off)")
	f.Float64Var(&r.Generate.RepetitionPenalty, "repetition-penalty", r.Generate.RepetitionPenalty, "CTRL repetition penalty (1 = off)")
	for _, name := range []string{"model", "reward-model", "prompts"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// readPPOConfig decodes path (if set) into cfg, then re-applies the flags the
// user set, so flags override the file and the file overrides defaults.
func readPPOConfig(cmd *cobra.Command, path string, cfg any) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	set := map[string]string{}
	cmd.Flags().Visit(func(f *pflag.Flag) { set[f.Name] = f.Value.String() })
	if err := yaml.Unmarshal(b, cfg); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	for name, v := range set {
		if err := cmd.Flags().Set(name, v); err != nil {
			return err
		}
	}
	return nil
}

// encodePrompts reads the --prompts JSONL file and tokenizes each prompt.
func encodePrompts(tk tokenizer.Tokenizer, path string) ([][]int64, error) {
	texts, err := promptTexts(nil, path)
	if err != nil {
		return nil, err
	}
	ids := make([][]int64, len(texts))
	for i, t := range texts {
		// The tokenizer's template ([CLS] prompt [SEP] for BERT vocabularies)
		// is how SFT formats a prompt, so the policy sees what it was tuned on.
		enc, err := tk.Encode(t, true)
		if err != nil {
			return nil, fmt.Errorf("%s: prompt %d: %w", path, i+1, err)
		}
		if len(enc.IDs) == 0 {
			return nil, fmt.Errorf("%s: prompt %d is empty after tokenization", path, i+1)
		}
		ids[i] = enc.IDs
	}
	return ids, nil
}
