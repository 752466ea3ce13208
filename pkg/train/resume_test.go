package train

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gotrl/gotrl/internal/tensor"
)

// helperEnv names the run directory of a training subprocess (see
// TestHelperProcess); the parent kills it with SIGKILL mid-run.
const helperEnv = "GOTRL_TRAIN_HELPER_DIR"

// TestHelperProcess is not a test: re-executed by TestResumeAfterSIGKILL, it
// trains the toy model slowly into $GOTRL_TRAIN_HELPER_DIR until killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestResumeAfterSIGKILL")
	}
	if _, err := runToy(dir, "", 20*time.Millisecond); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runToy trains the toy model into dir from scratch, or from checkpoint
// ckpt, pausing after each step, and returns the final step.
func runToy(dir, ckpt string, pause time.Duration) (int, error) {
	if err := tensor.SetThreads(1); err != nil { // bitwise-reproducible CPU kernels
		return 0, err
	}
	tensor.Seed(3) // the initial weights
	m, l, err := newToyRun(toyConfig(dir), 0.1)
	if err != nil {
		return 0, err
	}
	defer m.store.Close()
	defer l.Close()
	if ckpt != "" {
		if err := m.load(ckpt); err != nil {
			return 0, err
		}
		if err := l.Resume(ckpt); err != nil {
			return 0, err
		}
	}
	l.AfterStep = func(int) { time.Sleep(pause) }
	st, err := l.Run(context.Background())
	return st.Step, err
}

// TestResumeAfterSIGKILL kills a training subprocess with SIGKILL after it
// wrote checkpoint-10, resumes from its newest checkpoint, and requires the
// same loss, learning rate and gradient norm at every step as an
// uninterrupted run with the same seed.
func TestResumeAfterSIGKILL(t *testing.T) {
	killed, whole := t.TempDir(), t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+killed)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(killed, "checkpoint-10", StateFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the helper wrote no checkpoint-10 in 40 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the helper finished before it was killed; the test proves nothing")
	}
	ckpt, err := LatestCheckpoint(killed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed after %s; resuming", filepath.Base(ckpt))
	if step, err := runToy(killed, ckpt, 0); err != nil || step != 30 {
		t.Fatalf("resumed run ended at step %d: %v", step, err)
	}
	if _, err := runToy(whole, "", 0); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetrics(killed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReadMetrics(whole)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d metric records after resume, %d uninterrupted", len(got), len(want))
	}
	for i := range want {
		for _, k := range []string{"step", "loss", "lr", "grad_norm", "eval/loss"} {
			if got[i][k] != want[i][k] {
				t.Errorf("record %d %s: resumed %v, uninterrupted %v", i, k, got[i][k], want[i][k])
			}
		}
	}
}
