package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

func newPPOCmd() *cobra.Command {
	var model, ref, tok, prompts, config, rewardModel, resume string
	var rewardLabel int
	var overwrite bool
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
			dev, err := setup()
			if err != nil {
				return err
			}
			c.PPO.Seed = global.seed
			if resume != "" {
				c.OutputDir = resume
			}
			if err := train.PrepareOutputDir(c.OutputDir, resume != "", overwrite); err != nil {
				return err
			}
			tk, err := tokenizerFor(model, tok)
			if err != nil {
				return err
			}
			texts, err := promptTexts(nil, prompts)
			if err != nil {
				return err
			}
			run := &rlhf.PPORun{Config: c, Out: cmd.ErrOrStderr(), Decode: func(ids []int64) string { return tk.Decode(ids, true) }}
			for _, t := range texts {
				enc, err := tk.Encode(t, false)
				if err != nil || len(enc.IDs) == 0 {
					return fmt.Errorf("prompt %q: empty after tokenization (%v)", t, err)
				}
				run.Prompts = append(run.Prompts, enc.IDs)
			}
			start := model
			if resume != "" {
				if start, err = train.LatestCheckpoint(resume); err != nil {
					return err
				}
			}
			policy, err := rlhf.LoadPolicy(start, dev)
			if err != nil {
				return err
			}
			defer rlhf.ClosePolicy(policy)
			if ref == "" {
				ref = model
			}
			refPolicy, err := rlhf.LoadPolicy(ref, dev)
			if err != nil {
				return err
			}
			defer rlhf.ClosePolicy(refPolicy)
			m, err := models.Load(rewardModel, models.Options{Device: dev, Architecture: "GPT2ForSequenceClassification"})
			if err != nil {
				return fmt.Errorf("--reward-model: %w", err)
			}
			defer m.Close()
			cls, ok := m.(*gpt2.Loaded)
			if !ok || cls.Classifier == nil {
				return fmt.Errorf("--reward-model %s: not a GPT2ForSequenceClassification checkpoint", rewardModel)
			}
			run.Reward = rlhf.ClassifierReward{Model: cls.Classifier, Label: rewardLabel}
			if run.Trainer, err = rlhf.NewPPOTrainer(c.PPO, policy, refPolicy); err != nil {
				return err
			}
			defer run.Trainer.Close()
			if resume != "" {
				if err := run.Resume(start); err != nil {
					return err
				}
			}
			st, err := run.Run(cmd.Context())
			fmt.Fprintf(cmd.OutOrStdout(), "ppo: %d steps, checkpoints and plots in %s\n", st.Step, c.OutputDir)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "policy checkpoint (GPT-2 or T5; v_head.* optional)")
	f.StringVar(&ref, "ref-model", "", "frozen reference model (default: --model)")
	f.StringVar(&tok, "tokenizer", "", "tokenizer directory or file (default: --model)")
	f.StringVar(&prompts, "prompts", "", `JSONL file of {"prompt": "..."} lines`)
	f.StringVar(&rewardModel, "reward-model", "", "reward model: a gotrl rm run or any GPT2ForSequenceClassification directory")
	f.IntVar(&rewardLabel, "reward-label", 0, "logit of this label is the reward")
	f.StringVar(&config, "config", "", "YAML file of PPORunConfig (ppo:, rollout:, steps, …); flags override it")
	f.StringVar(&resume, "resume", "", "continue the run in this directory from its last checkpoint")
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
