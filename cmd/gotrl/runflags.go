package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/train"
)

// runFlags are the flags every training command has beside its config.
type runFlags struct {
	Config    string `yaml:"config"`
	Resume    string `yaml:"resume" alias:"resume-from-checkpoint"`
	Overwrite bool   `yaml:"overwrite_output_dir" alias:"overwrite"`
}

// resumable lists the settings a resumed run may change: how long it runs
// and what it writes, never what it computes.
var resumable = []string{"output_dir", "max_steps", "num_train_epochs", "save_steps", "save_total_limit",
	"logging_steps", "eval_steps", "sample_steps", "eval_samples", "report_to"}

// stage is a training command's configuration: cfg points to the struct
// its flags and YAML bind to, defaults returns a fresh default one, and
// seed and outputDir point into cfg.
type stage struct {
	run       runFlags
	cfg       any
	defaults  func() any
	seed      *int64
	outputDir *string
}

// bind defines the run flags and one flag per config field on cmd.
func (s *stage) bind(cmd *cobra.Command) {
	mustBind(cmd, &s.run, s.cfg)
}

// mustBind binds structs to cmd's flags. It fails only on a programming
// error (two fields of one name, a field type without a flag form), which
// the CLI tests catch for every command.
func mustBind(cmd *cobra.Command, cfgs ...any) {
	if _, err := config.Bind(cmd.Flags(), cfgs...); err != nil {
		panic(fmt.Sprintf("gotrl %s: %v", cmd.Name(), err))
	}
}

// runE is a training stage's RunE: resolve the configuration, take the
// tokenizer from the model directory when none is named (every stage copies
// its tokenizer into its run, so the next needs only the model), and run
// the stage under runStage.
func (s *stage) runE(d *rlhf.DataConfig, m *models.Source, tc *train.Config, run func(context.Context, train.Env) (train.State, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		env, err := s.resolve(cmd)
		if err != nil {
			return err
		}
		if d.Tokenizer == "" {
			d.Tokenizer = m.Init
		}
		return runStage(cmd, d.Tokenizer, tc.OutputDir, func(ctx context.Context) (string, error) {
			st, err := run(ctx, env)
			return stateSummary(st), err
		})
	}
}

// resolve builds the run's configuration in priority order — defaults, the
// resumed run's config.yaml, --config, then the flags set on the command
// line — resolves hub ids, checks a resumed run keeps its settings, and
// applies the global flags.
func (s *stage) resolve(cmd *cobra.Command) (train.Env, error) {
	r := s.run
	var saved string
	if r.Resume != "" {
		saved = filepath.Join(r.Resume, train.ConfigFile)
	}
	reset := func() { reflect.ValueOf(s.cfg).Elem().Set(reflect.ValueOf(s.defaults()).Elem()) }
	if err := config.Resolve(cmd.Flags(), s.cfg, reset, []string{saved, r.Config}, []string{"--resume", "--config"}); err != nil {
		if r.Resume != "" {
			err = otherCommandsRun(cmd, r.Resume, err)
		}
		return train.Env{}, err
	}
	if r.Resume != "" {
		// A copied or moved run resumes where it now is.
		if !cmd.Flags().Changed("output-dir") {
			*s.outputDir = r.Resume
		} else if filepath.Clean(*s.outputDir) != filepath.Clean(r.Resume) {
			return train.Env{}, fmt.Errorf("--resume %s and --output-dir %s name different runs", r.Resume, *s.outputDir)
		}
		if err := s.checkResume(saved); err != nil {
			return train.Env{}, err
		}
	}
	if *s.outputDir == "" {
		return train.Env{}, errors.New("--output-dir is required")
	}
	if err := resolveHub(cmd, s.cfg); err != nil {
		return train.Env{}, err
	}
	if err := resolveDataset(cmd, s.cfg); err != nil {
		return train.Env{}, err
	}
	dev, err := setup(*s.seed)
	if err != nil {
		return train.Env{}, err
	}
	return joinJob(train.Env{Device: dev, Resume: r.Resume != "", Overwrite: r.Overwrite, Progress: cmd.ErrOrStderr(), Log: cmd.ErrOrStderr()})
}

// otherCommandsRun explains err, a --resume whose config.yaml did not
// decode as cmd's, when dir is another training command's run (its newest
// checkpoint names the stage that wrote it): the YAML keys cmd does not
// know say less than whose run it is.
func otherCommandsRun(cmd *cobra.Command, dir string, err error) error {
	ckpt, cerr := train.LatestCheckpoint(dir)
	if cerr != nil {
		return err
	}
	var st struct {
		Stage string `json:"stage"`
	}
	if train.ReadStateInto(ckpt, &st) != nil {
		return err
	}
	// the stage's name starts with its command's: "pretrain causal",
	// "prompt train"
	c, _, ferr := cmd.Root().Find(strings.Fields(st.Stage))
	if ferr != nil || c == cmd || c.Flags().Lookup("resume") == nil {
		return err
	}
	name := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	return fmt.Errorf("--resume %s: a %s run (%s was written by stage %q): resume it with gotrl %s --resume %s", dir, name, filepath.Base(ckpt), st.Stage, name, dir)
}

// checkResume refuses a resumed run whose settings differ from the ones it
// was started with (other than resumable ones), naming each.
func (s *stage) checkResume(saved string) error {
	was := s.defaults()
	if err := config.Read(saved, was); err != nil {
		return fmt.Errorf("--resume: %w", err)
	}
	if d := config.Diff(was, s.cfg, resumable...); len(d) > 0 {
		return fmt.Errorf("--resume %s: the run was started with other settings:\n  %s\nresume with the same settings, or start a new run in another --output-dir",
			s.run.Resume, strings.Join(d, "\n  "))
	}
	return nil
}

// resolveHub turns every model and tokenizer field of cfg that spells a
// hub id into its local snapshot (resolvePath).
func resolveHub(cmd *cobra.Command, cfg any) error {
	for _, f := range config.HubFields(cfg) {
		flag := strings.ReplaceAll(f.Key, "_", "-")
		if f.Kind == "tokenizer" {
			flag = "tokenizer"
		}
		dir, err := resolvePath(cmd.Context(), cmd.ErrOrStderr(), flag, *f.Value)
		if err != nil {
			return err
		}
		*f.Value = dir
	}
	return nil
}

// runStage runs a stage with SIGINT/SIGTERM cancelling its context: the
// run saves a checkpoint and the command exits with the signal's status
// (130 or 143, as shells expect). The tokenizer tok is copied into the
// run directory dir (when both are set), so the saved model loads with
// --model-name-or-path alone.
//
// The run directory is locked for the whole run (train.LockRunDir): a
// second writer is refused, naming the holder.
func runStage(cmd *cobra.Command, tok, dir string, run func(ctx context.Context) (summary string, err error)) error {
	if dir != "" && job.Main() {
		unlock, err := train.LockRunDir(dir)
		if err != nil {
			return fmt.Errorf("--output-dir: %w", err)
		}
		defer unlock()
	}
	ctx, sig, stop := notifyContext(cmd.Context())
	defer stop()
	summary, err := run(ctx)
	out := cmd.OutOrStdout()
	if !job.Main() { // rank 0 reports and copies the tokenizer
		if errors.Is(err, train.ErrInterrupted) {
			return nil
		}
		return err
	}
	if err == nil || errors.Is(err, train.ErrInterrupted) {
		if tok != "" && dir != "" {
			if _, serr := tokenizer.SaveFiles(tok, dir); serr != nil {
				return serr
			}
		}
	}
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintln(out, err)
		return exitError{interruptCode(sig)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(out, summary)
	return nil
}

// notifyContext returns a context SIGINT and SIGTERM cancel, and the
// channel that receives the signal (for interruptCode).
func notifyContext(parent context.Context) (context.Context, chan os.Signal, func()) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	return ctx, sig, func() { signal.Stop(sig); stop() }
}

// interruptCode is the exit status of a run a signal stopped, as shells
// report it: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
func interruptCode(sig chan os.Signal) int {
	select {
	case s := <-sig:
		if s == syscall.SIGTERM {
			return 143
		}
	default:
	}
	return 130
}

// exitError ends the process with a status after the run saved its work.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// stateSummary is the line a finished stage prints.
func stateSummary(st train.State) string {
	s := fmt.Sprintf("done: %d steps", st.Step)
	if st.Best != nil {
		s += fmt.Sprintf(", best %.6g at step %d", *st.Best, st.BestStep)
	}
	if st.Stopped != "" {
		s += fmt.Sprintf(" (%s)", st.Stopped)
	}
	return s
}
