package train

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/gotrl/gotrl/pkg/data"
)

// cancellingEval is the toy whose evaluation is interrupted: it cancels
// the run's context (what SIGINT does) and fails as a cancelled generate
// does.
type cancellingEval struct {
	*toy
	cancel context.CancelFunc
}

func (c cancellingEval) Eval(ctx context.Context) (map[string]float64, error) {
	c.cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestInterruptDuringEval: SIGINT while the evaluation (or its sample
// generation) runs ends as during a step — a checkpoint of the finished
// step and ErrInterrupted — and the run resumes from it (issue 18: it
// ended with "context canceled", no checkpoint, and --resume failed).
func TestInterruptDuringEval(t *testing.T) {
	dir := t.TempDir()
	cfg := toyConfig(dir)
	cfg.EvalEvery, cfg.SaveEvery = 3, 0
	m, err := newToy(0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	ld, err := toyLoader(24, 5, cfg.BatchSize, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := New(cfg, Stage[data.Batch](cancellingEval{m, cancel}), ld)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Run(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Run: %v, want ErrInterrupted", err)
	}
	ckpt, err := LatestCheckpoint(dir)
	if err != nil || filepath.Base(ckpt) != "checkpoint-3" {
		t.Fatalf("latest checkpoint %q (%v), want checkpoint-3", ckpt, err)
	}
	m2, l2, err := newToyRun(cfg, 0)
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
	if err != nil || st.Step != cfg.MaxSteps {
		t.Fatalf("resumed run: step %d, %v; want %d steps", st.Step, err, cfg.MaxSteps)
	}
}
