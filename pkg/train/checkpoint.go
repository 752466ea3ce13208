package train

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// Checkpoint files beside the model's config.json and model.safetensors,
// named as transformers.Trainer names them.
const (
	StateFile     = "trainer_state.json"
	OptimizerFile = "optimizer.safetensors"
	checkpointPre = "checkpoint-"
	tmpPre        = ".tmp-" + checkpointPre
)

// PrepareOutputDir checks that a run may write into dir: a non-empty dir
// needs resume or overwrite (overwrite deletes it), as Trainer's
// overwrite_output_dir does.
func PrepareOutputDir(dir string, resume, overwrite bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
		if resume {
			return fmt.Errorf("--resume %s: no such run directory", dir)
		}
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(entries) == 0 || resume:
		return nil
	case overwrite:
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		return os.MkdirAll(dir, 0o755)
	}
	return fmt.Errorf("output directory %s exists and is not empty: pass --resume %s to continue it or --overwrite to start over", dir, dir)
}

// prepareDir creates the output dir and removes checkpoints a killed run
// left half-written (rank 0's job).
func (l *Loop[B]) prepareDir() error {
	if !l.group.Main() {
		return nil
	}
	if err := os.MkdirAll(l.cfg.OutputDir, 0o755); err != nil {
		return err
	}
	stale, _ := filepath.Glob(filepath.Join(l.cfg.OutputDir, tmpPre+"*"))
	for _, d := range stale {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// save writes checkpoint-<step> on rank 0 once every rank has finished the
// step, and returns its path.
func (l *Loop[B]) save() (string, error) {
	dir := l.checkpointDir()
	return dir, l.mainOnly(func() error { return l.saveMain(dir) })
}

func (l *Loop[B]) checkpointDir() string {
	return filepath.Join(l.cfg.OutputDir, fmt.Sprintf("%s%d", checkpointPre, l.state.Step))
}

// saveMain writes checkpoint final atomically (into a temporary directory,
// renamed when complete) and prunes old ones to KeepLast, sparing the best.
func (l *Loop[B]) saveMain(final string) error {
	tmp, err := os.MkdirTemp(l.cfg.OutputDir, tmpPre)
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := l.writeCheckpoint(tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("save checkpoint %s: %w", final, err)
	}
	if err := os.RemoveAll(final); err != nil { // a checkpoint of the same step from a killed run
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return l.prune()
}

func (l *Loop[B]) writeCheckpoint(dir string) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := l.stage.Save(dir); err != nil {
		return err
	}
	step, moments := l.opt.State()
	if err := weights.SaveTensors(filepath.Join(dir, OptimizerFile), moments); err != nil {
		return err
	}
	l.state.OptimizerStep = step
	b, err := json.MarshalIndent(l.state, "", "  ")
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(filepath.Join(dir, StateFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// prune deletes all but the newest KeepLast checkpoints, never the best one.
func (l *Loop[B]) prune() error {
	if l.cfg.KeepLast <= 0 {
		return nil
	}
	steps, err := checkpointSteps(l.cfg.OutputDir)
	if err != nil {
		return err
	}
	for i := 0; i < len(steps)-l.cfg.KeepLast; i++ {
		if l.state.Best != nil && steps[i] == l.state.BestStep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(l.cfg.OutputDir, fmt.Sprintf("%s%d", checkpointPre, steps[i]))); err != nil {
			return err
		}
	}
	return nil
}

// checkpointSteps lists the steps of dir's complete checkpoints, ascending.
func checkpointSteps(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var steps []int
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), checkpointPre))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), checkpointPre) || err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), StateFile)); err == nil {
			steps = append(steps, n)
		}
	}
	sort.Ints(steps)
	return steps, nil
}

// LatestCheckpoint returns the newest complete checkpoint directory of a run.
func LatestCheckpoint(runDir string) (string, error) {
	steps, err := checkpointSteps(runDir)
	if err != nil {
		return "", fmt.Errorf("find checkpoint: %w", err)
	}
	if len(steps) == 0 {
		return "", fmt.Errorf("%s has no checkpoint-N directory with %s", runDir, StateFile)
	}
	return filepath.Join(runDir, fmt.Sprintf("%s%d", checkpointPre, steps[len(steps)-1])), nil
}

// ReadState reads a checkpoint's trainer_state.json.
func ReadState(ckpt string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(ckpt, StateFile))
	if err != nil {
		return st, fmt.Errorf("resume: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("resume: %s: %w", filepath.Join(ckpt, StateFile), err)
	}
	return st, nil
}

// Resume restores the loop from checkpoint dir ckpt (the stage has already
// loaded the model weights from it): trainer state, optimizer moments, and
// metrics.jsonl cut back to the checkpoint's step.
func (l *Loop[B]) Resume(ckpt string) error {
	st, err := ReadState(ckpt)
	if err != nil {
		return err
	}
	if st.Stage != l.stage.Name() {
		return fmt.Errorf("resume %s: checkpoint was written by %q, this run is %q", ckpt, st.Stage, l.stage.Name())
	}
	if st.Seed != l.cfg.Seed {
		return fmt.Errorf("resume %s: checkpoint seed %d, this run's seed %d (an exact resume needs the same seed)", ckpt, st.Seed, l.cfg.Seed)
	}
	if was, now := max(st.WorldSize, 1), l.group.World(); was != now {
		return fmt.Errorf("resume %s: checkpoint was written by %d data-parallel processes, this run has %d; the global batch and the data shards depend on it: resume with WORLD_SIZE=%d", ckpt, was, now, was)
	}
	moments, err := weights.ReadTensors(filepath.Join(ckpt, OptimizerFile), l.stage.Store().Device())
	if err != nil {
		return fmt.Errorf("resume %s: %w", ckpt, err)
	}
	defer func() {
		for _, t := range moments {
			tensor.Free(t)
		}
	}()
	if err := l.opt.LoadState(st.OptimizerStep, moments); err != nil {
		return fmt.Errorf("resume %s: %w", ckpt, err)
	}
	st.TotalSteps, st.WorldSize = l.state.TotalSteps, l.state.WorldSize
	l.state = st
	if !l.group.Main() {
		return nil
	}
	return TruncateMetrics(l.cfg.OutputDir, st.Step)
}
