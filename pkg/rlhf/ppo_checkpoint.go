package rlhf

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
	"github.com/gotrl/gotrl/pkg/train"
)

// Save writes OutputDir/checkpoint-<step> atomically (a temporary
// directory renamed when complete): the policy in Hugging Face layout
// (value head included), the Adam moments of every policy store
// (train.OptimizerFile, names "<store>.exp_avg.<var>"), and PPOState as
// train.StateFile, the names pkg/train's checkpoints use, so
// train.LatestCheckpoint finds PPO checkpoints too.
func (r *PPORun) Save() (string, error) {
	saver, ok := r.Trainer.Policy.(Saver)
	if !ok {
		return "", fmt.Errorf("checkpoint: policy %s cannot save itself", describe(r.Trainer.Policy))
	}
	final := filepath.Join(r.Config.OutputDir, "checkpoint-"+strconv.Itoa(r.state.Step))
	tmp, err := os.MkdirTemp(r.Config.OutputDir, ".tmp-checkpoint-")
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if err := r.writeCheckpoint(tmp, saver); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("checkpoint %s: %w", final, err)
	}
	if err := os.RemoveAll(final); err != nil {
		return "", err
	}
	return final, os.Rename(tmp, final)
}

func (r *PPORun) writeCheckpoint(dir string, saver Saver) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := saver.Save(dir); err != nil {
		return err
	}
	moments := map[string]*tensor.Tensor{}
	r.state.OptimizerSteps = nil
	for i, o := range r.Trainer.Optimizers() {
		step, named := o.State()
		r.state.OptimizerSteps = append(r.state.OptimizerSteps, step)
		for k, v := range named {
			moments[strconv.Itoa(i)+"."+k] = v
		}
	}
	if len(moments) > 0 {
		if err := weights.SaveTensors(filepath.Join(dir, train.OptimizerFile), moments); err != nil {
			return err
		}
	}
	r.state.KLCoef = r.Trainer.KL.Value()
	r.state.ScoreMoments = r.Trainer.Scores
	rng, err := r.Trainer.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	r.state.Shuffle = rng
	b, err := json.MarshalIndent(r.state, "", "  ")
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(filepath.Join(dir, train.StateFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Resume restores the run from checkpoint directory ckpt, whose policy
// weights the caller has already loaded into the trainer's policy: the
// iteration, prompt position, KL coefficient, score moments, shuffling
// RNG and Adam moments; metrics.jsonl is cut back to the checkpoint.
func (r *PPORun) Resume(ckpt string) error {
	b, err := os.ReadFile(filepath.Join(ckpt, train.StateFile))
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	var st PPOState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("resume: %s: %w", filepath.Join(ckpt, train.StateFile), err)
	}
	if st.Stage != "ppo" {
		return fmt.Errorf("resume %s: checkpoint was written by stage %q, not ppo", ckpt, st.Stage)
	}
	if st.Seed != r.Config.PPO.Seed {
		return fmt.Errorf("resume %s: checkpoint seed %d, this run's seed %d (an exact resume needs the same seed)", ckpt, st.Seed, r.Config.PPO.Seed)
	}
	opts := r.Trainer.Optimizers()
	if len(st.OptimizerSteps) != len(opts) {
		return fmt.Errorf("resume %s: %d optimizer states for %d policy stores", ckpt, len(st.OptimizerSteps), len(opts))
	}
	if err := r.loadMoments(ckpt, st.OptimizerSteps); err != nil {
		return err
	}
	if err := setKL(r.Trainer.KL, st.KLCoef); err != nil {
		return fmt.Errorf("resume %s: %w", ckpt, err)
	}
	r.Trainer.Scores = st.ScoreMoments
	if err := r.Trainer.pcg.UnmarshalBinary(st.Shuffle); err != nil {
		return fmt.Errorf("resume %s: shuffle rng: %w", ckpt, err)
	}
	r.state = st
	return r.truncateMetrics()
}

// loadMoments reads the Adam moments of every store from ckpt.
func (r *PPORun) loadMoments(ckpt string, steps []int64) error {
	path := filepath.Join(ckpt, train.OptimizerFile)
	all := map[string]*tensor.Tensor{}
	if _, err := os.Stat(path); err == nil {
		dev := r.Trainer.Policy.Stores()[0].Device()
		if all, err = weights.ReadTensors(path, dev); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
	}
	defer func() {
		for _, t := range all {
			tensor.Free(t)
		}
	}()
	for i, o := range r.Trainer.Optimizers() {
		pre := strconv.Itoa(i) + "."
		named := map[string]*tensor.Tensor{}
		for k, v := range all {
			if strings.HasPrefix(k, pre) {
				named[strings.TrimPrefix(k, pre)] = v
			}
		}
		if err := o.LoadState(steps[i], named); err != nil {
			return fmt.Errorf("resume %s: %w", ckpt, err)
		}
	}
	return nil
}

// setKL restores a controller's coefficient.
func setKL(c KLController, v float64) error {
	switch k := c.(type) {
	case *AdaptiveKLController:
		k.Coef = v
	case *FixedKLController:
		k.Coef = v
	default:
		return fmt.Errorf("KL controller %T cannot be restored", c)
	}
	return nil
}

// truncateMetrics drops metrics.jsonl records past the resumed step, so
// the log reads as one uninterrupted run.
func (r *PPORun) truncateMetrics() error {
	return train.TruncateMetrics(r.Config.OutputDir, r.state.Step)
}
