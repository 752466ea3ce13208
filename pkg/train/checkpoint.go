package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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

// LockFile is the file in a run directory that LockRunDir locks.
const LockFile = ".gotrl.lock"

// startFiles are what a run writes before its first checkpoint: a
// directory holding nothing else is a failed start, not a run to protect,
// and is reused without --overwrite (a failed start once blocked its
// retry).
var startFiles = []string{LockFile, ConfigFile}

// PrepareOutputDir checks that a run may write into dir: a non-empty dir
// needs resume or overwrite (overwrite empties it), as Trainer's
// overwrite_output_dir does. The lock file (LockRunDir) and a failed
// start's config.yaml do not make it non-empty.
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
	case resume || onlyStartFiles(entries):
		return nil
	case overwrite:
		// empty it in place: the lock file must stay, since the lock is
		// held on it
		for _, e := range entries {
			if e.Name() == LockFile {
				continue
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("output directory %s %w: pass --resume %s to continue it or --overwrite to start over", dir, ErrRunDirNotEmpty, dir)
}

// ErrRunDirNotEmpty is wrapped by PrepareOutputDir's refusal of a
// directory that holds a run.
var ErrRunDirNotEmpty = errors.New("exists and is not empty")

// onlyStartFiles reports whether entries are at most startFiles.
func onlyStartFiles(entries []os.DirEntry) bool {
	for _, e := range entries {
		if e.IsDir() || !slices.Contains(startFiles, e.Name()) {
			return false
		}
	}
	return true
}

// Checkpoints writes a run's checkpoint-<step> directories: atomically
// (into a temporary directory renamed when complete, so a killed run never
// leaves a half-written one) and pruned to the newest Keep (0 = all),
// sparing the best. The training loop and PPO both save through it.
type Checkpoints struct {
	Dir  string
	Keep int
}

// Clean removes checkpoints a killed run left half-written, creating Dir
// if needed.
func (c Checkpoints) Clean() error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	stale, _ := filepath.Glob(filepath.Join(c.Dir, tmpPre+"*"))
	for _, d := range stale {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// Save writes checkpoint-<step> with write (which fills the directory it
// is given), then prunes; best is the step to keep whatever its age (-1:
// none).
func (c Checkpoints) Save(step, best int, write func(dir string) error) (string, error) {
	final := filepath.Join(c.Dir, fmt.Sprintf("%s%d", checkpointPre, step))
	tmp, err := os.MkdirTemp(c.Dir, tmpPre)
	if err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := write(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("save checkpoint %s: %w", final, err)
	}
	if err := os.RemoveAll(final); err != nil { // a checkpoint of the same step from a killed run
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	return final, c.prune(best)
}

// prune deletes all but the newest Keep checkpoints, never best.
func (c Checkpoints) prune(best int) error {
	if c.Keep <= 0 {
		return nil
	}
	steps, err := checkpointSteps(c.Dir)
	if err != nil {
		return err
	}
	for i := 0; i < len(steps)-c.Keep; i++ {
		if steps[i] == best {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.Dir, fmt.Sprintf("%s%d", checkpointPre, steps[i]))); err != nil {
			return err
		}
	}
	return nil
}

// WriteState writes v as indented JSON to dir/trainer_state.json, atomically.
func WriteState(dir string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(filepath.Join(dir, StateFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

func (l *Loop[B]) checkpoints() Checkpoints {
	return Checkpoints{Dir: l.cfg.OutputDir, Keep: l.cfg.KeepLast}
}

// save writes checkpoint-<step> with the model, optimizer moments and
// state, on rank 0 once every rank has finished the step.
func (l *Loop[B]) save() (dir string, err error) {
	err = l.mainOnly(func() error {
		dir, err = l.saveMain()
		return err
	})
	return dir, err
}

// saveMain is save's work (rank 0).
func (l *Loop[B]) saveMain() (string, error) {
	best := -1
	if l.state.Best != nil {
		best = l.state.BestStep
	}
	return l.checkpoints().Save(l.state.Step, best, l.writeCheckpoint)
}

func (l *Loop[B]) writeCheckpoint(dir string) error {
	if err := l.stage.Save(dir); err != nil {
		return err
	}
	step, moments := l.opt.State()
	if err := weights.SaveTensors(filepath.Join(dir, OptimizerFile), moments); err != nil {
		return err
	}
	l.state.OptimizerStep, l.state.Threads = step, tensor.Threads()
	return WriteState(dir, l.state)
}

// ThreadsNote is what a resumed run says when it computes with another
// number of libtorch CPU threads than its checkpoint was written with
// (was; 0 when the checkpoint does not say), and "" otherwise: reductions
// such as layer norm's gradients sum in per-thread chunks, so the run
// then continues within rounding of, not bit for bit, the run it resumes.
func ThreadsNote(was int) string {
	now := tensor.Threads()
	if was == 0 || was == now {
		return ""
	}
	return fmt.Sprintf("note: the checkpoint was written with %d CPU thread(s), this run has %d: its sums run in another order, so it continues within rounding of the run it resumes, not bit for bit (--threads %d for that)\n", was, now, was)
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
	return st, ReadStateInto(ckpt, &st)
}

// ReadStateInto decodes a checkpoint's trainer_state.json into v (PPO's
// state has fields of its own).
func ReadStateInto(ckpt string, v any) error {
	path := filepath.Join(ckpt, StateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("resume: %s: %w", path, err)
	}
	return nil
}

// Resume restores the loop from checkpoint dir ckpt (the stage has already
// loaded the model weights from it): trainer state, optimizer moments, and
// metrics.jsonl cut back to the checkpoint's step.
func (l *Loop[B]) Resume(ckpt string) error {
	st, err := ReadState(ckpt)
	if err != nil {
		return err
	}
	if err := st.check(ckpt); err != nil {
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
