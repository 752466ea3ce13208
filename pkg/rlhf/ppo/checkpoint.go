package ppo

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/train"
)

// State is a PPO checkpoint's trainer_state.json: with the policy
// weights and the optimizer moments, everything an exact resume needs.
type State struct {
	Stage string `json:"stage"` // always "ppo"
	Step  int    `json:"global_step"`
	Seed  int64  `json:"seed"`
	// Epoch and Position locate the next prompt (epoch-th shuffled pass).
	Epoch          int            `json:"epoch"`
	Position       int            `json:"position"`
	KLCoef         float64        `json:"kl_coef"`
	ScoreMoments   RunningMoments `json:"score_moments"`
	Shuffle        []byte         `json:"shuffle_rng"` // the trainer's PCG state
	OptimizerSteps []int64        `json:"optimizer_steps"`
	// WorldSize is the number of data-parallel ranks (each rolls out its
	// own slice of the prompts, so a resume needs as many).
	WorldSize int `json:"world_size"`
	// Threads is the libtorch CPU thread count (train.ThreadsNote).
	Threads int `json:"threads,omitempty"`
}

func (r *Loop) checkpoints() train.Checkpoints {
	return train.Checkpoints{Dir: r.Config.OutputDir, Keep: r.Config.SaveTotalLimit}
}

// Save writes checkpoint-<step> through pkg/train's checkpoint writer
// (atomic, pruned to save_total_limit): the policy in Hugging Face layout
// (value head included), the Adam moments of every policy store
// (train.OptimizerFile, names "<store>.exp_avg.<var>") and State as
// train.StateFile, so train.LatestCheckpoint finds PPO checkpoints too.
func (r *Loop) Save() (string, error) {
	saver, ok := r.Trainer.Policy.(models.Saver)
	if !ok {
		return "", fmt.Errorf("checkpoint: policy %s cannot save itself", describe(r.Trainer.Policy))
	}
	// Every rank holds the same policy, optimizer and trainer state, so rank
	// 0 writes the checkpoint once all have finished the iteration.
	if err := r.Trainer.group.Barrier(); err != nil {
		return "", err
	}
	if !r.Trainer.group.Main() {
		return filepath.Join(r.Config.OutputDir, fmt.Sprintf("checkpoint-%d", r.state.Step)), nil
	}
	return r.checkpoints().Save(r.state.Step, -1, func(dir string) error { return r.writeCheckpoint(dir, saver) })
}

func (r *Loop) writeCheckpoint(dir string, saver models.Saver) error {
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
	r.state.WorldSize, r.state.Threads = r.Trainer.world(), tensor.Threads()
	return train.WriteState(dir, r.state)
}

// Resume restores the run from checkpoint directory ckpt, whose policy
// weights the caller has already loaded into the trainer's policy: the
// iteration, prompt position, KL coefficient, score moments, shuffling
// RNG and Adam moments; metrics.jsonl is cut back to the checkpoint.
func (r *Loop) Resume(ckpt string) error {
	var st State
	if err := train.ReadStateInto(ckpt, &st); err != nil {
		return err
	}
	if st.Stage != "ppo" {
		return fmt.Errorf("resume %s: checkpoint was written by stage %q, not ppo", ckpt, st.Stage)
	}
	if st.Seed != r.Config.PPO.Seed {
		return fmt.Errorf("resume %s: checkpoint seed %d, this run's seed %d (an exact resume needs the same seed)", ckpt, st.Seed, r.Config.PPO.Seed)
	}
	// the shuffling RNG and the optimizer steps decide what the run does
	// next: a state without them must not resume from zero values
	if err := train.RequireStateFields(ckpt, "global_step", "seed", "epoch", "position", "kl_coef", "score_moments", "shuffle_rng", "optimizer_steps"); err != nil {
		return err
	}
	if err := train.CheckStep(ckpt, st.Step); err != nil {
		return err
	}
	if st.Step < 0 || st.Epoch < 0 || st.Position < 0 || st.Position > len(r.Prompts) {
		return fmt.Errorf("resume %s: %s: global_step %d, epoch %d, position %d out of range", ckpt, train.StateFile, st.Step, st.Epoch, st.Position)
	}
	if w := max(st.WorldSize, 1); w != r.Trainer.world() {
		return fmt.Errorf("resume %s: the run was trained on %d process(es), this one has %d: start as many (each rolls out its own prompts)", ckpt, w, r.Trainer.world())
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
	if !r.Trainer.group.Main() {
		return nil
	}
	return train.TruncateMetrics(r.Config.OutputDir, r.state.Step)
}

// loadMoments reads the Adam moments of every store from ckpt.
func (r *Loop) loadMoments(ckpt string, steps []int64) error {
	path := filepath.Join(ckpt, train.OptimizerFile)
	all := map[string]*tensor.Tensor{}
	if anyStep(steps) {
		var err error
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

// anyStep reports whether an optimizer has stepped (and so has moments).
func anyStep(steps []int64) bool {
	for _, s := range steps {
		if s > 0 {
			return true
		}
	}
	return false
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
