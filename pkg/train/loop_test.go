package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
)

// TestAccumulationEquivalence: 4 accumulated micro-batches of 2 give the
// gradients of one batch of 8 (equal lengths, so the mean of means is the mean).
func TestAccumulationEquivalence(t *testing.T) {
	full, acc := accumulatedGrads(t, toyData(8, 5), 8, 1, false), accumulatedGrads(t, toyData(8, 5), 2, 4, false)
	for i := range full {
		for j := range full[i] {
			if d := math.Abs(float64(full[i][j] - acc[i][j])); d > 1e-5 {
				t.Fatalf("var %d grad[%d]: batch 8 %v, 4×2 accumulated %v", i, j, full[i][j], acc[i][j])
			}
		}
	}
}

// accumulatedGrads returns the toy model's gradients after one step's
// accumulation over exs (in order) in accum micro-batches of batch; counted
// makes the stage an ItemCounter.
func accumulatedGrads(t *testing.T, exs []data.Encoded, batch, accum int, counted bool) [][]float32 {
	t.Helper()
	cfg := toyConfig(t.TempDir())
	cfg.BatchSize, cfg.Accum = batch, accum
	tensor.Seed(1) // the same initial weights for every call
	m, err := newToy(0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	ld, err := data.NewLoader(exs, data.Sampler{BatchSize: batch}, data.Collator{})
	if err != nil {
		t.Fatal(err)
	}
	var st Stage[data.Batch] = m
	if counted {
		st = countedToy{m}
	}
	l, err := New(cfg, st, ld)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.accumulate(); err != nil {
		t.Fatal(err)
	}
	var out [][]float32
	for _, v := range l.vars {
		g, err := gradOf(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// TestStepGivesEveryParameterAGradient is TRL's trainer check on the toy model.
func TestStepGivesEveryParameterAGradient(t *testing.T) {
	m, l, err := newToyRun(toyConfig(t.TempDir()), 0.1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	defer l.Close()
	if _, err := l.accumulate(); err != nil {
		t.Fatal(err)
	}
	for _, v := range l.vars {
		g, err := gradOf(v)
		if err != nil {
			t.Fatal(err)
		}
		nonzero := false
		for _, x := range g {
			nonzero = nonzero || x != 0
		}
		if !nonzero {
			t.Errorf("%s got no gradient", v.Name)
		}
	}
}

func TestRunWritesMetricsCheckpointsAndPlots(t *testing.T) {
	dir := t.TempDir()
	m, l, err := newToyRun(toyConfig(dir), 0.1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	defer l.Close()
	st, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != 30 {
		t.Errorf("final step %d, want 30", st.Step)
	}
	recs, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	var first, last, evals float64
	for _, r := range recs {
		if _, ok := r["eval/loss"]; ok {
			evals++
			continue
		}
		for _, k := range []string{"step", "loss", "lr", "grad_norm", "tokens_per_s", "train/calls"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("record %v lacks %q", r, k)
			}
		}
		if r["step"] == 1 {
			first = r["loss"]
			if r["lr"] != 0 {
				t.Errorf("first step lr %v, want 0 (warmup)", r["lr"])
			}
		}
		last = r["loss"]
	}
	if evals != 3 || !(last < first) {
		t.Errorf("%v evals (want 3), loss %v → %v (want a decrease)", evals, first, last)
	}
	steps, err := checkpointSteps(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(steps) != "[25 30]" {
		t.Errorf("checkpoints %v, want the last two [25 30]", steps)
	}
	for _, f := range []string{"config.json", "model.safetensors", filepath.Join("checkpoint-30", StateFile), filepath.Join("checkpoint-30", OptimizerFile), filepath.Join(PlotDir, "loss.png"), filepath.Join(PlotDir, "lr.png")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestNaNLossStopsAndKeepsLastCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg := toyConfig(dir)
	cfg.SaveEvery = 2
	m, l, err := newToyRun(cfg, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	defer l.Close()
	m.nanAt = 5
	st, err := l.Run(context.Background())
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("Run error %v, want ErrNonFinite", err)
	}
	if !strings.Contains(err.Error(), "step 5") || !strings.Contains(err.Error(), "checkpoint-4") {
		t.Errorf("error %q should name step 5 and checkpoint-4", err)
	}
	if st.Step != 4 {
		t.Errorf("stopped at step %d, want 4", st.Step)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint-4", StateFile)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint-5")); !os.IsNotExist(err) {
		t.Errorf("checkpoint-5 exists after a NaN step (err %v)", err)
	}
}

func TestEarlyStopping(t *testing.T) {
	cfg := toyConfig(t.TempDir())
	cfg.EvalEvery, cfg.Patience, cfg.Threshold = 2, 2, 0.01
	m, l, err := newToyRun(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	defer l.Close()
	// best at eval 2 (0.8); 0.795 is not better by more than the threshold.
	m.evalSeq = []float64{1, 0.8, 0.795, 0.9, 0.5, 0.5}
	st, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != 8 || st.BestStep != 4 || *st.Best != 0.8 || !strings.Contains(st.Stopped, "early stopping") {
		t.Errorf("state %+v, want a stop at step 8 with best 0.8 at step 4", st)
	}
}

func TestInterruptSavesAndResumes(t *testing.T) {
	dir := t.TempDir()
	cfg := toyConfig(dir)
	m, l, err := newToyRun(cfg, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	l.AfterStep = func(step int) {
		if step == 7 {
			cancel() // what SIGINT does through signal.NotifyContext
		}
	}
	if _, err := l.Run(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Run error %v, want ErrInterrupted", err)
	}
	ckpt, err := LatestCheckpoint(dir)
	if err != nil || filepath.Base(ckpt) != "checkpoint-7" {
		t.Fatalf("latest checkpoint %q (%v), want checkpoint-7", ckpt, err)
	}
	if err := PrepareOutputDir(dir, false, false); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("PrepareOutputDir without --resume: %v, want an error naming --resume", err)
	}
	m2, l2, err := newToyRun(cfg, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.store.Close()
	defer l2.Close()
	if err := m2.load(ckpt); err != nil {
		t.Fatal(err)
	}
	if err := l2.Resume(ckpt); err != nil {
		t.Fatal(err)
	}
	st, err := l2.Run(context.Background())
	if err != nil || st.Step != 30 {
		t.Fatalf("resumed run: step %d, %v", st.Step, err)
	}
}

func TestResumeRefusesAnotherStage(t *testing.T) {
	dir := t.TempDir()
	cfg := toyConfig(dir)
	cfg.MaxSteps = 2
	m, l, err := newToyRun(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	defer l.Close()
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ := ReadState(filepath.Join(dir, "checkpoint-2"))
	st.Stage = "rm gpt2"
	l.state = st
	if _, err := l.save(); err != nil {
		t.Fatal(err)
	}
	err = l.Resume(filepath.Join(dir, "checkpoint-2"))
	if err == nil || !strings.Contains(err.Error(), `"rm gpt2"`) || !strings.Contains(err.Error(), `"toy"`) {
		t.Errorf("Resume of another stage's checkpoint: %v, want an error naming both", err)
	}
}

func TestPrepareOutputDir(t *testing.T) {
	root := t.TempDir()
	full := filepath.Join(root, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// a failed start leaves config.yaml (and the lock file): its retry
	// must not need --overwrite (issue 18)
	failed := filepath.Join(root, "failed")
	if err := os.MkdirAll(failed, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.yaml", LockFile} {
		if err := os.WriteFile(filepath.Join(failed, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name              string
		dir               string
		resume, overwrite bool
		wantErr           string
	}{
		{"new", filepath.Join(root, "new"), false, false, ""},
		{"failed start", failed, false, false, ""},
		{"exists", full, false, false, "--overwrite"},
		{"resume missing", filepath.Join(root, "none"), true, false, "no such run"},
		{"resume", full, true, false, ""},
		{"overwrite", full, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PrepareOutputDir(tt.dir, tt.resume, tt.overwrite)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestBF16LossCloseToFP32 trains the toy model twice from the same weights,
// once under bfloat16 autocast: the losses must agree to bf16 precision
// (8 mantissa bits, ~0.4% per rounding) and the runs must not be identical
// (autocast really ran the matmuls in bf16).
func TestBF16LossCloseToFP32(t *testing.T) {
	losses := func(bf16 BF16Mode) []float64 {
		cfg := toyConfig(t.TempDir())
		cfg.MaxSteps, cfg.BF16 = 8, bf16
		tensor.Seed(5)
		m, l, err := newToyRun(cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer m.store.Close()
		defer l.Close()
		var out []float64
		for range cfg.MaxSteps {
			rec, err := l.Step()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, rec["loss"])
		}
		return out
	}
	fp32, bf16 := losses(BF16Off), losses(BF16On)
	same := true
	for i := range fp32 {
		if d := math.Abs(fp32[i]-bf16[i]) / fp32[i]; d > 0.02 {
			t.Errorf("step %d: fp32 loss %v, bf16 %v (rel. diff %.3g > 2%%)", i+1, fp32[i], bf16[i], d)
		}
		same = same && fp32[i] == bf16[i]
	}
	if same {
		t.Error("bf16 losses equal fp32 bit for bit: autocast did not take effect")
	}
}
