package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/rlhf/ppo"
	"github.com/gotrl/gotrl/pkg/train"
)

// pipeStage is one stage of a pipeline: its config, the fields the
// pipeline links to earlier stages, and how to run it.
type pipeStage struct {
	name      string
	cfg       any // pointer to the stage's config
	defaults  func() any
	outputDir *string
	model     *string // model_name_or_path, linked to the previous LM stage
	config    *string // config_name (a fresh model needs no link)
	tokenizer *string
	seed      *int64
	run       func(ctx context.Context, env train.Env) (steps int, result string, err error)
}

func newPipelineCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Run SFT → reward model → PPO (and pretraining) from one file, resumable with the same command",
		Long: "A pipeline file has an optional output_dir and a section per stage — pretrain, sft, rm, ppo — each\n" +
			"holding that stage's own config (the keys of `gotrl <stage> --config`). Each stage's output feeds\n" +
			"the next: sft starts from pretrain's model, rm and ppo from sft's, ppo's reward model is rm's;\n" +
			"a stage's output_dir defaults to OUTPUT_DIR/<stage>. Run again, the pipeline skips finished stages,\n" +
			"resumes an interrupted one from its newest checkpoint, and refuses a stage whose settings changed.",
		Example: "  gotrl pipeline --config configs/demo.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("--config is required")
			}
			stages, err := readPipeline(file)
			if err != nil {
				return err
			}
			return runPipeline(cmd, stages)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", config.Vocabulary["config"])
	return cmd
}

// pipelineFile is a pipeline file's layout. Each section decodes over its
// stage's defaults (the pointers are set before decoding), and the file is
// decoded whole, so errors name its own lines.
type pipelineFile struct {
	OutputDir string               `yaml:"output_dir"`
	Pretrain  *rlhf.PretrainConfig `yaml:"pretrain"`
	SFT       *rlhf.SFTConfig      `yaml:"sft"`
	RM        *rlhf.RMConfig       `yaml:"rm"`
	PPO       *ppo.RunConfig       `yaml:"ppo"`
}

// readPipeline reads the file strictly, each section over its stage's
// defaults, and links the stages.
func readPipeline(path string) ([]*pipeStage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	all := map[string]*pipeStage{"pretrain": pretrainStage(), "sft": sftPipeStage(), "rm": rmStage(), "ppo": ppoStage()}
	// the sections present, an unknown one named at its line
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	present := map[string]bool{}
	if len(doc.Content) > 0 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0].Content
		for i := 0; i+1 < len(m); i += 2 {
			k := m[i]
			if k.Value != "output_dir" && all[k.Value] == nil {
				return nil, fmt.Errorf("%s:%d: unknown section %q (a pipeline has output_dir and sections pretrain, sft, rm, ppo)", path, k.Line, k.Value)
			}
			present[k.Value] = true
			if st := all[k.Value]; st != nil {
				if err := config.SectionUnknownKeys(m[i+1], st.cfg); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", path, k.Value, err)
				}
			}
		}
	}
	f := pipelineFile{Pretrain: all["pretrain"].cfg.(*rlhf.PretrainConfig), SFT: all["sft"].cfg.(*rlhf.SFTConfig),
		RM: all["rm"].cfg.(*rlhf.RMConfig), PPO: all["ppo"].cfg.(*ppo.RunConfig)}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var stages []*pipeStage
	for _, name := range []string{"pretrain", "sft", "rm", "ppo"} {
		if !present[name] {
			continue
		}
		if err := config.Check(all[name].cfg); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		stages = append(stages, all[name])
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%s: no stage (pretrain, sft, rm, ppo)", path)
	}
	link(stages, f.OutputDir)
	return stages, nil
}

// link fills what a stage leaves unset from the stages before it: its
// output directory under root, the model to start from (the last
// language-model stage's output) and PPO's reward model (rm's output).
func link(stages []*pipeStage, root string) {
	var lm, rmDir string
	for _, s := range stages {
		if *s.outputDir == "" && root != "" {
			*s.outputDir = filepath.Join(root, s.name)
		}
		if *s.model == "" && (s.config == nil || *s.config == "") {
			*s.model = lm
		}
		if s.name == "ppo" {
			c := s.cfg.(*ppo.RunConfig)
			if len(c.Reward.Models) == 0 && rmDir != "" {
				c.Reward.Models = []string{rmDir}
			}
		}
		if s.name == "rm" {
			rmDir = *s.outputDir
		} else {
			lm = *s.outputDir
		}
	}
}

func pretrainStage() *pipeStage {
	c := rlhf.DefaultPretrain()
	return &pipeStage{name: "pretrain", cfg: &c, defaults: func() any { d := rlhf.DefaultPretrain(); return &d },
		outputDir: &c.Train.OutputDir, model: &c.Model.Init, config: &c.Model.Config, tokenizer: &c.Data.Tokenizer, seed: &c.Train.Seed,
		run: func(ctx context.Context, env train.Env) (int, string, error) {
			st, err := rlhf.Pretrain(ctx, c, env)
			return st.Step, bestOf(st, "eval_loss"), err
		}}
}

func sftPipeStage() *pipeStage {
	c := rlhf.DefaultSFT()
	return &pipeStage{name: "sft", cfg: &c, defaults: func() any { d := rlhf.DefaultSFT(); return &d },
		outputDir: &c.Train.OutputDir, model: &c.Model.Init, config: &c.Model.Config, tokenizer: &c.Data.Tokenizer, seed: &c.Train.Seed,
		run: func(ctx context.Context, env train.Env) (int, string, error) {
			st, err := rlhf.SFT(ctx, c, env)
			return st.Step, bestOf(st, "eval_loss"), err
		}}
}

func rmStage() *pipeStage {
	c := rlhf.DefaultRM()
	return &pipeStage{name: "rm", cfg: &c, defaults: func() any { d := rlhf.DefaultRM(); return &d },
		outputDir: &c.Train.OutputDir, model: &c.Model.Init, config: &c.Model.Config, tokenizer: &c.Data.Tokenizer, seed: &c.Train.Seed,
		run: func(ctx context.Context, env train.Env) (int, string, error) {
			st, err := rlhf.RM(ctx, c, env)
			return st.Step, bestOf(st, "eval_accuracy"), err
		}}
}

func ppoStage() *pipeStage {
	c := ppo.DefaultRunConfig()
	return &pipeStage{name: "ppo", cfg: &c, defaults: func() any { d := ppo.DefaultRunConfig(); return &d },
		outputDir: &c.OutputDir, model: &c.Model, tokenizer: &c.Tokenizer, seed: &c.PPO.Seed,
		run: func(ctx context.Context, env train.Env) (int, string, error) {
			st, err := ppo.Train(ctx, c, env)
			result := ""
			if recs, rerr := train.ReadMetrics(c.OutputDir); rerr == nil && len(recs) > 0 {
				last := recs[len(recs)-1]
				result = fmt.Sprintf("reward %.4g, kl %.4g", last["env/reward_mean"], last["objective/kl"])
			}
			return st.Step, result, err
		}}
}

// bestOf describes a finished run's best metric.
func bestOf(st train.State, name string) string {
	if st.Best == nil {
		return ""
	}
	return fmt.Sprintf("best %s %.4g (step %d)", name, *st.Best, st.BestStep)
}

// runPipeline runs the stages in order, skipping finished ones, resuming
// an interrupted one, and prints a summary table.
func runPipeline(cmd *cobra.Command, stages []*pipeStage) error {
	ctx, sig, stop := notifyContext(cmd.Context())
	defer stop()
	// lock every stage's directory for the whole pipeline, so a second
	// pipeline (or a stage command) on the same runs is refused up front
	for _, s := range stages {
		if *s.outputDir == "" {
			continue
		}
		unlock, err := train.LockRunDir(*s.outputDir)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		defer unlock()
	}
	type row struct{ stage, status, steps, result, took string }
	var rows []row
	defer func() {
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "\nstage\tstatus\tsteps\tresult\ttime")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.stage, r.status, r.steps, r.result, r.took)
		}
		w.Flush()
	}()
	for _, s := range stages {
		dir := *s.outputDir
		if dir == "" {
			return fmt.Errorf("%s: output_dir is not set (set it, or the pipeline's output_dir)", s.name)
		}
		if *s.tokenizer == "" {
			*s.tokenizer = *s.model // earlier stages copy their tokenizer into their directory
		}
		if err := resolveHub(cmd, s.cfg); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if err := resolveDataset(cmd, s.cfg); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		state, err := stageState(s)
		if err != nil {
			return err
		}
		if state == "finished" {
			rows = append(rows, row{s.name, "skipped (finished)", "", "", ""})
			continue
		}
		dev, err := setup(*s.seed)
		if err != nil {
			return err
		}
		env := train.Env{Device: dev, Resume: state == "resume", Overwrite: state == "fresh", Progress: cmd.ErrOrStderr(), Log: cmd.ErrOrStderr()}
		fmt.Fprintf(cmd.OutOrStdout(), "== %s (%s) → %s\n", s.name, map[string]string{"resume": "resuming", "fresh": "starting"}[state], dir)
		start := time.Now()
		steps, result, err := s.run(ctx, env)
		took := time.Since(start).Round(time.Second).String()
		if err == nil || errors.Is(err, train.ErrInterrupted) {
			if *s.tokenizer != "" {
				if _, serr := tokenizer.SaveFiles(*s.tokenizer, dir); serr != nil {
					return serr
				}
			}
		}
		if errors.Is(err, train.ErrInterrupted) {
			rows = append(rows, row{s.name, "interrupted", fmt.Sprint(steps), "run the same command to resume", took})
			fmt.Fprintln(cmd.OutOrStdout(), err)
			return exitError{interruptCode(sig)}
		}
		if err != nil {
			rows = append(rows, row{s.name, "failed", fmt.Sprint(steps), "", took})
			return fmt.Errorf("%s: %w", s.name, err)
		}
		status := "ran"
		if state == "resume" {
			status = "resumed"
		}
		rows = append(rows, row{s.name, status, fmt.Sprint(steps), result, took})
	}
	return nil
}

// stageState says what to do with a stage's output directory: "fresh"
// (nothing worth keeping: absent, or no checkpoint yet), "resume" (a
// checkpoint, no final model) or "finished" (its final model is there).
// A stage run before with other settings is refused.
func stageState(s *pipeStage) (string, error) {
	dir := *s.outputDir
	saved := filepath.Join(dir, train.ConfigFile)
	if _, err := os.Stat(saved); err != nil {
		return "fresh", nil
	}
	was := s.defaults()
	if err := config.Read(saved, was); err != nil {
		return "", fmt.Errorf("%s: %w", s.name, err)
	}
	if d := config.Diff(was, s.cfg, resumable...); len(d) > 0 {
		return "", fmt.Errorf("%s: %s was run with other settings:\n  %s\nrestore them, or remove %s to run the stage again",
			s.name, dir, strings.Join(d, "\n  "), dir)
	}
	if _, err := os.Stat(filepath.Join(dir, weights.SafetensorsFile)); err == nil {
		return "finished", nil
	}
	if _, err := train.LatestCheckpoint(dir); err == nil {
		return "resume", nil
	}
	return "fresh", nil
}
