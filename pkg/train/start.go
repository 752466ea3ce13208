package train

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/internal/config"
)

// ConfigFile is the resolved configuration a run saves in its directory.
const ConfigFile = "config.yaml"

// WriteConfig saves a run's resolved configuration as runDir/config.yaml.
func WriteConfig(runDir string, cfg any) error {
	return config.Write(filepath.Join(runDir, ConfigFile), cfg)
}

// Start prepares a stage's run directory dir and saves cfg there as
// config.yaml; when env.Resume, it returns the checkpoint to continue,
// refusing one written by another stage (kind is the first word of the
// stage's Name) before any weights are read. Under data parallelism rank
// 0 prepares the directory while the others wait.
func Start(env Env, dir, kind string, cfg any) (ckpt string, err error) {
	if env.Dist.Main() {
		if err := PrepareOutputDir(dir, env.Resume, env.Overwrite); err != nil {
			return "", err
		}
	}
	if err := env.Dist.Barrier(); err != nil {
		return "", err
	}
	if env.Resume {
		if ckpt, err = LatestCheckpoint(dir); err != nil {
			return "", fmt.Errorf("--resume: %w", err)
		}
		st, err := ReadState(ckpt)
		if err != nil {
			return "", err
		}
		if k, _, _ := strings.Cut(st.Stage, " "); k != kind {
			return "", fmt.Errorf("--resume %s: checkpoint %s was written by stage %q, not %s", dir, ckpt, st.Stage, kind)
		}
	}
	if !env.Dist.Main() {
		return ckpt, nil
	}
	return ckpt, WriteConfig(dir, cfg)
}

// RunStage runs stage over d with the loop, continuing checkpoint ckpt
// when it is set (the stage has loaded the model weights from it).
func RunStage[B any](ctx context.Context, env Env, cfg Config, ckpt string, stage Stage[B], d Data[B]) (State, error) {
	l, err := New(cfg, stage, d)
	if err != nil {
		return State{}, err
	}
	defer l.Close()
	l.WithGroup(env.Dist)
	if ckpt != "" {
		if err := l.Resume(ckpt); err != nil {
			return State{}, err
		}
		env.Logf("resuming from %s (step %d)\n%s", ckpt, l.State().Step, ThreadsNote(l.State().Threads))
	}
	l.Progress = env.Progress
	return l.Run(ctx)
}
