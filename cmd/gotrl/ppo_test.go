package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotrl/gotrl/pkg/train"
)

// cliHelperEnv carries the arguments of a gotrl run that a test starts as
// a subprocess (TestCLIHelper), one per line.
const cliHelperEnv = "GOTRL_CLI_HELPER_ARGS"

// TestCLIHelper is not a test: re-executed by the kill tests, it runs the
// gotrl command line in $GOTRL_CLI_HELPER_ARGS and exits with its status.
func TestCLIHelper(t *testing.T) {
	args := os.Getenv(cliHelperEnv)
	if args == "" {
		t.Skip("helper process for the kill tests")
	}
	cmd := newRootCmd()
	cmd.SetArgs(strings.Split(args, "\n"))
	err := cmd.Execute()
	var exit exitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &exit):
		os.Exit(exit.code)
	}
	fmt.Fprintln(os.Stderr, "gotrl:", err)
	os.Exit(1)
}

// startGotrl starts gotrl with args in a subprocess.
func startGotrl(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCLIHelper$")
	cmd.Env = append(os.Environ(), cliHelperEnv+"="+strings.Join(args, "\n"))
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// steps is the length of the test runs.
const steps = 12

// ppoFixture writes a policy (the tiny GPT-2 fixture with a vocabulary), a
// reward model (the GPT-2 classifier fixture, same vocabulary) and
// prompts; it returns the ppo arguments without the output directory.
func ppoFixture(t *testing.T) []string {
	t.Helper()
	root := t.TempDir()
	policy, reward := filepath.Join(root, "policy"), filepath.Join(root, "rm")
	words := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	words = append(words, strings.Split("的一是在不了有和人这中大为上个国我以要他好很差", "")...)
	for dir, from := range map[string]string{policy: "gpt2", reward: "gpt2-seqcls"} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"config.json", "model.safetensors"} {
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "models", from, f))
			if err != nil {
				t.Skipf("fixture: %v", err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(words, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prompts := filepath.Join(root, "prompts.jsonl")
	var lines []string
	for i := range 8 {
		lines = append(lines, fmt.Sprintf(`{"prompt": "%s%s"}`, words[5+i], words[6+i]))
	}
	if err := os.WriteFile(prompts, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"ppo", "--model-name-or-path", policy, "--reward-model", reward, "--reward-label", "1",
		"--train-file", prompts, "--batch-size", "4", "--mini-batch-size", "2", "--ppo-epochs", "2",
		"--learning-rate", "1e-3", "--output-min-length", "2", "--output-max-length", "4",
		"--max-steps", fmt.Sprint(steps), "--save-steps", "1", "--sample-steps", "0", "--threads", "1", "--seed", "5"}
}

// TestPPOResumeAfterKill kills a `gotrl ppo` subprocess with SIGKILL at
// three random moments, resuming each time with `--resume DIR` alone, and
// requires the same stats at every step (timings aside) and the same
// final weights as an uninterrupted run.
func TestPPOResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs gotrl ppo five times")
	}
	args := ppoFixture(t)
	whole, killed := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "killed")
	if _, stderr, err := runGotrl(append(args, "--output-dir", whole)...); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, stderr)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	// Three kills at random points: past a random step (in increasing
	// order), then a random fraction of an iteration later, so a kill may
	// land in a rollout, an update or a checkpoint being written.
	at := rng.Perm(steps - 2)[:3]
	slices.Sort(at)
	run := append(args, "--output-dir", killed)
	for kill, step := range at {
		cmd := startGotrl(t, run...)
		waitFor(t, killed, step+1, 60*time.Second)
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err == nil {
			t.Fatalf("kill %d: the run finished before it was killed; the test proves nothing", kill+1)
		}
		ckpt, err := train.LatestCheckpoint(killed)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("kill %d after %s", kill+1, filepath.Base(ckpt))
		run = []string{"ppo", "--resume", killed, "--threads", "1"}
	}
	if _, stderr, err := runGotrl(run...); err != nil {
		t.Fatalf("last resume: %v\n%s", err, stderr)
	}
	sameRun(t, whole, killed)
}

// sameRun requires run dir got to have logged the stats of run want at
// every step (timings aside) and to have ended with its weights, byte for
// byte.
func sameRun(t *testing.T, want, got string) {
	t.Helper()
	a, err := train.ReadMetrics(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := train.ReadMetrics(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != len(a) {
		t.Fatalf("%d records in %s, %d in %s", len(b), got, len(a), want)
	}
	compared := 0
	for i := range a {
		for k, w := range a[i] {
			if strings.HasPrefix(k, "time/") || k == "step_time_s" || k == "tokens_per_s" {
				continue
			}
			compared++
			if g, ok := b[i][k]; !ok || g != w {
				t.Errorf("record %d %s: %v in %s, %v in %s", i+1, k, b[i][k], got, w, want)
			}
		}
	}
	t.Logf("%d stats compared", compared)
	wa, err := os.ReadFile(filepath.Join(want, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := os.ReadFile(filepath.Join(got, "model.safetensors"))
	if err != nil || !slices.Equal(wa, wb) {
		t.Errorf("final weights of %s differ from %s's (%v)", got, want, err)
	}
}

// waitFor waits until dir's newest checkpoint is at step n or later.
func waitFor(t *testing.T, dir string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if ckpt, err := train.LatestCheckpoint(dir); err == nil {
			var step int
			if _, err := fmt.Sscanf(filepath.Base(ckpt), "checkpoint-%d", &step); err == nil && step >= n {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no checkpoint of step ≥ %d in %s after %s", n, dir, limit)
}

// TestPPOResumeRefusesChanges: a resumed run keeps its settings; a changed
// learning rate is refused with the field named, and nothing is trained.
func TestPPOResumeRefusesChanges(t *testing.T) {
	args := ppoFixture(t)
	dir := filepath.Join(t.TempDir(), "run")
	args = append(args, "--output-dir", dir, "--temperature", "0.5") // an optional setting given resumes as given
	args[slices.Index(args, "--max-steps")+1] = "2"
	if _, stderr, err := runGotrl(args...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	_, _, err := runGotrl("ppo", "--resume", dir, "--lr", "0.5")
	if err == nil || !strings.Contains(err.Error(), "learning_rate: 0.001 → 0.5") {
		t.Fatalf("--resume with another --lr: %v, want the field named", err)
	}
	if _, _, err := runGotrl("ppo", "--resume", dir, "--max-steps", "3", "--threads", "1"); err != nil {
		t.Fatalf("--resume with a longer --max-steps: %v", err)
	}
}

// TestPPOGenerationDefaults: the policy's generation_config.json gives
// rollouts what the command leaves out, as TRL's generate() takes it from
// model.generation_config: a temperature in the file trains as the same
// --temperature does, and the flag wins over the file.
func TestPPOGenerationDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs gotrl ppo four times")
	}
	args := ppoFixture(t)
	args[slices.Index(args, "--max-steps")+1] = "2"
	policy := args[slices.Index(args, "--model-name-or-path")+1]
	root := t.TempDir()
	run := func(name string, extra ...string) string {
		t.Helper()
		dir := filepath.Join(root, name)
		if _, stderr, err := runGotrl(append(append(slices.Clone(args), "--output-dir", dir), extra...)...); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, stderr)
		}
		return dir
	}
	plain := run("plain")
	flag := run("flag", "--temperature", "0.3")
	if err := os.WriteFile(filepath.Join(policy, "generation_config.json"), []byte(`{"temperature": 0.3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	file := run("file")
	sameRun(t, flag, file)
	if b, err := os.ReadFile(filepath.Join(file, "generation_config.json")); err != nil || string(b) != `{"temperature": 0.3}` {
		t.Errorf("the trained policy carries generation_config.json %q (%v), want the starting policy's", b, err)
	}
	sameRun(t, plain, run("flag-wins", "--temperature", "1"))
	// a generation_config.json transformers derived for a config without
	// eos_token_id names GPT-2's 50256, outside this vocabulary
	if err := os.WriteFile(filepath.Join(policy, "generation_config.json"), []byte(`{"_from_model_config": true, "eos_token_id": 50256}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "derived")
	_, stderr, err := runGotrl(append(slices.Clone(args), "--output-dir", dir)...)
	if err != nil || !strings.Contains(stderr, "eos_token_id [50256] is outside the vocabulary") {
		t.Errorf("a derived generation_config.json: %v, stderr:\n%s", err, stderr)
	}
	a, err := train.ReadMetrics(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := train.ReadMetrics(flag)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a[0]["env/reward_mean"]) == fmt.Sprint(b[0]["env/reward_mean"]) {
		t.Errorf("temperature 0.3 and 1 sampled alike (reward %v): the test cannot tell the file was read", a[0]["env/reward_mean"])
	}
}
