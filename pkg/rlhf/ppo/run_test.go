package ppo

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/weights"
	"github.com/gotrl/gotrl/pkg/train"
)

// newTinyRun builds a Run over the policy saved in init, writing to out.
func newTinyRun(t *testing.T, init, start, out string) *Loop {
	t.Helper()
	policy, err := LoadValueModel(start, models.Options{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(policy.Close)
	ref, err := LoadValueModel(init, models.Options{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ref.Close)
	c := DefaultRunConfig()
	c.PPO.BatchSize, c.PPO.MiniBatchSize, c.PPO.PPOEpochs, c.PPO.LearningRate, c.PPO.Seed = 4, 2, 2, 1e-3, 5
	c.Rollout.MinLength, c.Rollout.MaxLength = 2, 5
	c.MaxSteps, c.SaveSteps, c.SampleSteps, c.OutputDir = 4, 2, 0, out
	tr, err := NewTrainer(c.PPO, policy, ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return &Loop{Config: c, Trainer: tr, Reward: countToken(7),
		Prompts: [][]int64{{1, 2}, {3}, {4, 5, 6}, {7, 8}, {9}, {10, 11}}}
}

// TestPPORunResumesExactly runs 4 iterations straight, then again from
// the step-2 checkpoint: the resumed run must end with the same weights
// and log the same rewards and losses for steps 3 and 4.
func TestPPORunResumesExactly(t *testing.T) {
	tensor.Seed(11)
	dir := t.TempDir()
	init := filepath.Join(dir, "init")
	if err := tinyGPT2(t).Save(init); err != nil {
		t.Fatal(err)
	}
	full, resumed := filepath.Join(dir, "full"), filepath.Join(dir, "resumed")
	for _, d := range []string{full, resumed} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a := newTinyRun(t, init, init, full)
	if st, err := a.Run(context.Background()); err != nil || st.Step != 4 {
		t.Fatalf("straight run: step %d, %v", st.Step, err)
	}
	ckpt2 := filepath.Join(full, "checkpoint-2")
	// the resumed run starts in its own directory from a copy of checkpoint 2 and the metrics so far
	recs, err := train.ReadMetrics(full)
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(full, train.MetricsFile), filepath.Join(resumed, train.MetricsFile))
	b := newTinyRun(t, init, ckpt2, resumed)
	if err := b.Resume(ckpt2); err != nil {
		t.Fatal(err)
	}
	if st, err := b.Run(context.Background()); err != nil || st.Step != 4 {
		t.Fatalf("resumed run: step %d, %v", st.Step, err)
	}
	want, err := weights.ReadTensors(filepath.Join(full, "checkpoint-4", "model.safetensors"), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range b.Trainer.Policy.Stores()[0].Vars() {
		w, ok := want[v.Name]
		if !ok {
			continue // tied lm_head
		}
		if !slices.Equal(ppoValues(t, v.T), ppoValues(t, w)) {
			t.Errorf("%s differs after resuming", v.Name)
		}
		tensor.Free(w)
	}
	got, err := train.ReadMetrics(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("resumed log has %d records, straight run %d", len(got), len(recs))
	}
	for i := range recs {
		for k, v := range recs[i] {
			if !strings.HasPrefix(k, "time/") && got[i][k] != v {
				t.Errorf("step %v: %s = %v, straight run %v", recs[i]["step"], k, got[i][k], v)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(resumed, train.PlotDir, "env_reward_mean.png")); err != nil {
		t.Errorf("reward curve: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
