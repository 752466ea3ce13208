package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

// runFlags are the flags every training subcommand shares beyond its config.
type runFlags struct {
	config    string // --config FILE.yaml
	resume    string // --resume RUN_DIR
	overwrite bool
}

func (r *runFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&r.config, "config", "", "YAML config file; flags given on the command line override it")
	f.StringVar(&r.resume, "resume", "", "continue RUN_DIR from its newest checkpoint (its config.yaml is the base config)")
	f.BoolVar(&r.overwrite, "overwrite", false, "delete a non-empty output directory first")
}

// bindTrain binds the loop's settings to flags, with the defaults in c.
func bindTrain(f *pflag.FlagSet, c *train.Config) {
	f.StringVarP(&c.OutputDir, "output", "o", c.OutputDir, "run directory (checkpoints, metrics.jsonl, plots, config.yaml)")
	f.IntVar(&c.Epochs, "epochs", c.Epochs, "training epochs (ignored when --max-steps > 0)")
	f.IntVar(&c.MaxSteps, "max-steps", c.MaxSteps, "optimizer steps; 0 = epochs")
	f.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "examples per micro-batch")
	f.IntVar(&c.Accum, "grad-accum", c.Accum, "micro-batches per optimizer step")
	f.Float64Var(&c.Optimizer.LR, "lr", c.Optimizer.LR, "peak learning rate (AdamW)")
	f.Float64Var(&c.Optimizer.WeightDecay, "weight-decay", c.Optimizer.WeightDecay, "AdamW weight decay (≥2-D weights only)")
	f.StringVar(&c.Schedule.Kind, "lr-schedule", c.Schedule.Kind, "constant, constant_with_warmup, linear or cosine")
	f.IntVar(&c.Schedule.Warmup, "warmup-steps", c.Schedule.Warmup, "linear warmup steps")
	f.Float64Var(&c.MaxGradNorm, "max-grad-norm", c.MaxGradNorm, "clip gradients to this global L2 norm; 0 = no clipping")
	f.IntVar(&c.EvalEvery, "eval-steps", c.EvalEvery, "evaluate every N steps; 0 = at the end only")
	f.IntVar(&c.SaveEvery, "save-steps", c.SaveEvery, "checkpoint every N steps; 0 = at the end only")
	f.IntVar(&c.KeepLast, "save-total-limit", c.KeepLast, "keep the newest N checkpoints (and the best); 0 = all")
	f.IntVar(&c.LogEvery, "logging-steps", c.LogEvery, "write a metrics.jsonl record every N steps")
	f.StringVar(&c.Metric, "metric", c.Metric, "eval metric for the best checkpoint and early stopping")
	f.BoolVar(&c.GreaterIsBetter, "greater-is-better", c.GreaterIsBetter, "a larger --metric is better")
	f.IntVar(&c.Patience, "patience", c.Patience, "stop after N evaluations without improvement; 0 = never")
	bindBF16(f, &c.BF16)
}

// bindBF16 binds --bf16 auto|true|false; --bf16 alone means true.
func bindBF16(f *pflag.FlagSet, m *train.BF16Mode) {
	f.Var(m, "bf16", "bfloat16 autocast (fp32 master weights): auto = on where the CPU has AMX or AVX-512-BF16")
	f.Lookup("bf16").NoOptDefVal = string(train.BF16On)
}

// bindData binds the data settings; textual flags only, the stage's own
// flags come from its file.
func bindData(f *pflag.FlagSet, d *rlhf.DataConfig) {
	f.StringVar(&d.Tokenizer, "tokenizer", d.Tokenizer, "tokenizer directory (tokenizer.json, vocab.txt or GPT-2 BPE files), or a vocab.txt / tokenizer.json file")
	f.StringVar(&d.Path, "data", d.Path, "training data file")
	f.StringVar(&d.EvalPath, "eval-data", d.EvalPath, "evaluation data file (default: hold out --eval-fraction)")
	f.Float64Var(&d.EvalFraction, "eval-fraction", d.EvalFraction, "fraction of --data held out for evaluation")
	f.IntVar(&d.MaxEval, "max-eval", d.MaxEval, "evaluate on at most N examples; 0 = all")
	f.StringArrayVar(&d.Fields, "field", d.Fields, "rename a field: want=have (e.g. prompt=content)")
	f.StringVar(&d.Format, "format", d.Format, "data format: json, jsonl, csv, tsv, squad (default: by extension)")
	f.BoolVar(&d.SkipBad, "skip-bad", d.SkipBad, "skip malformed records instead of stopping")
	f.IntVar(&d.MaxLen, "max-length", d.MaxLen, "tokens per example, specials included")
}

// bindModel binds where the model comes from.
func bindModel(f *pflag.FlagSet, s *rlhf.Source) {
	f.StringVar(&s.Init, "init", s.Init, "checkpoint directory to start from (HF layout)")
	f.StringVar(&s.Config, "model-config", s.Config, "config.json for a randomly initialized model")
	f.StringVar(&s.ModelType, "model-type", s.ModelType, "override the config's model_type")
}

// resolve builds the run's configuration in priority order: defaults, the
// resumed run's config.yaml, --config, then only the flags the user set
// (cobra has already written them into cfg; they are replayed on top).
func (r *runFlags) resolve(cmd *cobra.Command, cfg any, tc *train.Config, reset func()) (rlhf.Env, error) {
	type setting struct {
		f     *pflag.Flag
		value string
		slice []string
	}
	var set []setting
	cmd.Flags().Visit(func(f *pflag.Flag) {
		s := setting{f: f, value: f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			s.slice = sv.GetSlice()
		}
		set = append(set, s)
	})
	reset()
	if r.resume != "" {
		if err := rlhf.ReadConfigFile(filepath.Join(r.resume, rlhf.ConfigFile), cfg); err != nil {
			return rlhf.Env{}, fmt.Errorf("--resume: %w", err)
		}
	}
	if r.config != "" {
		if err := rlhf.ReadConfigFile(r.config, cfg); err != nil {
			return rlhf.Env{}, fmt.Errorf("--config: %w", err)
		}
	}
	for _, s := range set {
		var err error
		if sv, ok := s.f.Value.(pflag.SliceValue); ok {
			err = sv.Replace(s.slice)
		} else {
			err = s.f.Value.Set(s.value)
		}
		if err != nil {
			return rlhf.Env{}, fmt.Errorf("--%s: %w", s.f.Name, err)
		}
	}
	if cmd.Flags().Changed("seed") {
		tc.Seed = global.seed
	}
	if err := r.outputDir(tc); err != nil {
		return rlhf.Env{}, err
	}
	dev, err := setup()
	if err != nil {
		return rlhf.Env{}, err
	}
	return rlhf.Env{Device: dev, Resume: r.resume != "", Overwrite: r.overwrite, Progress: os.Stderr, Log: cmd.ErrOrStderr()}, nil
}

// outputDir is --resume's directory when given, else the configured one.
func (r *runFlags) outputDir(c *train.Config) error {
	if r.resume != "" {
		if c.OutputDir != "" && filepath.Clean(c.OutputDir) != filepath.Clean(r.resume) {
			return fmt.Errorf("--resume %s and --output %s name different runs", r.resume, c.OutputDir)
		}
		c.OutputDir = r.resume
	}
	if c.OutputDir == "" {
		return errors.New("--output is required")
	}
	return nil
}

// runStage runs a stage with SIGINT/SIGTERM cancelling its context: the
// loop saves a checkpoint and the command exits cleanly.
// The tokenizer tok is copied into the run directory dir (when both are
// set), so the saved model loads with --model alone.
func runStage(cmd *cobra.Command, tok, dir string, run func(ctx context.Context) (train.State, error)) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := run(ctx)
	out := cmd.OutOrStdout()
	if err == nil || errors.Is(err, train.ErrInterrupted) {
		if tok != "" && dir != "" {
			if _, serr := tokenizer.SaveFiles(tok, dir); serr != nil {
				return serr
			}
		}
	}
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintln(out, err)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "done: %d steps", st.Step)
	if st.Best != nil {
		fmt.Fprintf(out, ", best %.6g at step %d", *st.Best, st.BestStep)
	}
	if st.Stopped != "" {
		fmt.Fprintf(out, " (%s)", st.Stopped)
	}
	fmt.Fprintln(out)
	return nil
}
