package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A damaged or hand-edited trainer_state.json must not resume: a
// global_step of -7 once trained at a negative learning rate (gradient
// ascent) with negative step numbers in the metrics. The checks below name
// the field at fault.

// RequireStateFields refuses a checkpoint whose trainer_state.json lacks
// one of keys (a missing key would decode as zero and resume from it).
func RequireStateFields(ckpt string, keys ...string) error {
	path := filepath.Join(ckpt, StateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("resume: %s: %w", path, err)
	}
	for _, k := range keys {
		if v, ok := m[k]; !ok || string(v) == "null" {
			return fmt.Errorf("resume: %s: field %s is missing", path, k)
		}
	}
	return nil
}

// CheckStep refuses a global_step below 0 or other than N in the
// checkpoint's name checkpoint-N.
func CheckStep(ckpt string, step int) error {
	path := filepath.Join(ckpt, StateFile)
	if step < 0 {
		return fmt.Errorf("resume: %s: global_step %d, want ≥ 0", path, step)
	}
	name := filepath.Base(filepath.Clean(ckpt))
	if n, err := strconv.Atoi(strings.TrimPrefix(name, checkpointPre)); err == nil && strings.HasPrefix(name, checkpointPre) && n != step {
		return fmt.Errorf("resume: %s: global_step %d disagrees with the checkpoint's name %s", path, step, name)
	}
	return nil
}

// stateFields are the keys every trainer_state.json the loop writes has.
var stateFields = []string{"stage", "global_step", "max_steps", "cursor", "seed", "optimizer_step", "num_input_tokens_seen", "early_stopping_counter"}

// check validates every field of a loop checkpoint's state read from ckpt.
// The loop keeps no generator state (each step reseeds from the seed and
// the step), so seed is its RNG state: RequireStateFields demands it.
func (s State) check(ckpt string) error {
	if err := RequireStateFields(ckpt, stateFields...); err != nil {
		return err
	}
	if err := CheckStep(ckpt, s.Step); err != nil {
		return err
	}
	path := filepath.Join(ckpt, StateFile)
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("resume: %s: %s %v, want %s", path, field, v, want)
	}
	switch {
	case s.Stage == "":
		return bad("stage", `""`, "the stage that wrote it")
	case s.TotalSteps < 0:
		return bad("max_steps", s.TotalSteps, "≥ 0")
	case s.Cursor.Epoch < 0:
		return bad("cursor.epoch", s.Cursor.Epoch, "≥ 0")
	case s.Cursor.Index < 0:
		return bad("cursor.index", s.Cursor.Index, "≥ 0")
	case s.OptimizerStep < 0 || s.OptimizerStep > int64(s.Step):
		return bad("optimizer_step", s.OptimizerStep, fmt.Sprintf("0…global_step (%d)", s.Step))
	case s.Tokens < 0:
		return bad("num_input_tokens_seen", s.Tokens, "≥ 0")
	case s.BestStep < 0 || s.BestStep > s.Step:
		return bad("best_step", s.BestStep, fmt.Sprintf("0…global_step (%d)", s.Step))
	case s.BadEvals < 0:
		return bad("early_stopping_counter", s.BadEvals, "≥ 0")
	case s.WorldSize < 0:
		return bad("world_size", s.WorldSize, "≥ 0")
	case s.Threads < 0:
		return bad("threads", s.Threads, "≥ 0")
	}
	return nil
}
