package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// TestResumeRefusesBadState damages one field of a checkpoint's
// trainer_state.json (or its optimizer file) at a time and requires Resume
// to refuse it naming the field (issue 18: global_step -7 resumed and
// trained at a negative learning rate). The untouched checkpoint resumes.
func TestResumeRefusesBadState(t *testing.T) {
	src := t.TempDir()
	cfg := toyConfig(src)
	cfg.MaxSteps, cfg.SaveEvery, cfg.EvalEvery = 5, 5, 0
	m, l, err := newToyRun(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	l.Close()
	m.store.Close()

	state := func(edit func(map[string]any)) func(t *testing.T, ckpt string) {
		return func(t *testing.T, ckpt string) {
			path := filepath.Join(ckpt, StateFile)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var st map[string]any
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			edit(st)
			if b, err = json.Marshal(st); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	set := func(k string, v any) func(t *testing.T, ckpt string) {
		return state(func(st map[string]any) { st[k] = v })
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, ckpt string)
		want   string // "" = resumes
	}{
		{"intact", func(*testing.T, string) {}, ""},
		{"negative step", set("global_step", -7), "global_step -7, want ≥ 0"},
		{"step not the name", set("global_step", 4), "global_step 4 disagrees with the checkpoint's name checkpoint-5"},
		{"no seed", state(func(st map[string]any) { delete(st, "seed") }), "field seed is missing"},
		{"no cursor", state(func(st map[string]any) { delete(st, "cursor") }), "field cursor is missing"},
		{"negative cursor", set("cursor", map[string]any{"epoch": 0, "index": -1}), "cursor.index -1"},
		{"optimizer ahead", set("optimizer_step", 99), "optimizer_step 99"},
		{"negative tokens", set("num_input_tokens_seen", -1), "num_input_tokens_seen -1"},
		{"best in the future", set("best_step", 9), "best_step 9"},
		{"negative counter", set("early_stopping_counter", -2), "early_stopping_counter -2"},
		{"negative threads", set("threads", -1), "threads -1, want ≥ 0"},
		{"threads not recorded", state(func(st map[string]any) { delete(st, "threads") }), ""},
		{"optimizer of another model", renameMoment, `optimizer state "exp_avg.other.weight" matches no parameter`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ckpt := filepath.Join(dir, "checkpoint-5")
			if err := os.CopyFS(ckpt, os.DirFS(filepath.Join(src, "checkpoint-5"))); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, ckpt)
			m, l, err := newToyRun(toyConfig(dir), 0)
			if err != nil {
				t.Fatal(err)
			}
			defer m.store.Close()
			defer l.Close()
			err = l.Resume(ckpt)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Resume: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Resume: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// renameMoment gives one optimizer moment a name no parameter has.
func renameMoment(t *testing.T, ckpt string) {
	path := filepath.Join(ckpt, OptimizerFile)
	named, err := weights.ReadTensors(path, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, x := range named {
			tensor.Free(x)
		}
	}()
	for k, v := range named {
		if strings.HasPrefix(k, "exp_avg.") {
			delete(named, k)
			named["exp_avg.other.weight"] = v
			break
		}
	}
	if err := weights.SaveTensors(path, named); err != nil {
		t.Fatal(err)
	}
}
