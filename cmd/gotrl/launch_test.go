package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
	"github.com/gotrl/gotrl/pkg/train"
)

// asGotrl makes this test binary run as the gotrl command (TestMain), so
// the data-parallel tests start real ranks — through `gotrl launch`,
// directly, or through torchrun — without building bin/gotrl.
const asGotrl = "GOTRL_TEST_AS_GOTRL"

func TestMain(m *testing.M) {
	if os.Getenv(asGotrl) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// gotrl returns this binary as gotrl with args and extra environment.
func gotrl(env []string, args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(append(inheritedEnv(), asGotrl+"=1"), env...)
	return c
}

func mustRun(t *testing.T, c *exec.Cmd) string {
	t.Helper()
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(c.Args[1:], " "), err, out)
	}
	return string(out)
}

// freePort returns a port free now and not handed out before in this
// process: the kernel may give a just-closed port again, and a rank of an
// earlier test still retrying its rendezvous there then joins the next
// test's job ("two processes were started with RANK=1").
func freePort(t *testing.T) string {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !portsGiven[port] {
			portsGiven[port] = true
			return strconv.Itoa(port)
		}
	}
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// stageData writes a WordPiece vocabulary (ids < 512, the fixtures' size)
// and small SFT, corpus and ranked-list files, and returns each stage's
// arguments (everything but the batch size and output directory).
func stageData(t *testing.T) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	words := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	for c := 'a'; c <= 'z'; c++ {
		words = append(words, string(c), "##"+string(c))
	}
	words = append(words, strings.Split("的一是在不了有和人这中大为上个国我以要他很满意", "")...)
	write := func(name string, lines []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vocab := write("vocab.txt", words)
	jsonl := func(name string, recs []map[string]any) string {
		var lines []string
		for _, r := range recs {
			b, _ := json.Marshal(r)
			lines = append(lines, string(b))
		}
		return write(name, lines)
	}
	var sft, ranked []map[string]any
	var corpus, reviews []string
	for i := range 40 {
		a, b := string(rune('a'+i%26)), string(rune('a'+(i*7)%26))
		// responses of different lengths: ranks see different token counts
		sft = append(sft, map[string]any{"prompt": "中国 " + a + " 的", "response": strings.Repeat(b+" ", 1+i%4) + "大"})
		ranked = append(ranked, map[string]any{"prompt": "中国" + a, "responses": []string{a + " 的 大", b + " 人", ""}})
		corpus = append(corpus, strings.Repeat(a+" 中 国 "+b, 1+i%3)+" 的")
		reviews = append(reviews, fmt.Sprintf("%d,%s", i%2, strings.Repeat(a+"人", 1+i%3)))
	}
	gpt2, bert := filepath.Join("..", "..", "testdata", "models", "gpt2"), filepath.Join("..", "..", "testdata", "models", "bert")
	common := []string{"--tokenizer", vocab, "--max-length", "16", "--eval-fraction", "0.2", "--lr", "1e-2", "--warmup-steps", "0",
		"--threads", "1", "--seed", "7", "--eval-steps", "2"}
	return map[string][]string{
		"sft":      append([]string{"sft", "--init", gpt2, "--data", jsonl("sft.jsonl", sft), "--eval-samples", "1", "--max-new-tokens", "2"}, common...),
		"pretrain": append([]string{"pretrain", "--init", bert, "--data", write("corpus.txt", corpus)}, common...),
		"rm":       append([]string{"rm", "--init", gpt2, "--schema", "ranked", "--data", jsonl("ranked.jsonl", ranked)}, common...),
		// PET: 8 examples, 2 steps of a global batch of 4, training the MLM
		// head's transform (its output bias has gradient Σ(label probs − targets)·p = 0
		// for every non-label word: Adam would amplify the rounding noise, see below)
		"prompt": {"prompt", "train", "--model", bert, "--tokenizer", vocab, "--data", write("reviews.csv", append([]string{"label,review"}, reviews...)),
			"--test-size", "10", "--k", "4", "--template", "{mask}满意。{text_a}", "--verbalizer", "1=很;0=不", "--epochs", "1",
			"--trainable", `^cls\.predictions\.transform\.`, "--lr", "5e-3", "--threads", "1", "--seed", "7"},
	}
}

// weightsOf reads a run's final model.safetensors as float32 values.
func weightsOf(t *testing.T, dir string) map[string][]float32 {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float32{}
	for _, info := range f.Infos() {
		if info.DType != safetensors.F32 {
			t.Fatalf("%s: dtype %s", info.Name, info.DType)
		}
		b, err := f.Data(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		out[info.Name] = v
	}
	return out
}

// maxDiff is the largest |a−b| over every tensor; names must match.
func maxDiff(t *testing.T, a, b map[string][]float32) (float64, string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d tensors vs %d", len(a), len(b))
	}
	worst, where := 0.0, ""
	for name, va := range a {
		vb, ok := b[name]
		if !ok || len(vb) != len(va) {
			t.Fatalf("tensor %s: missing or resized", name)
		}
		for i := range va {
			if d := math.Abs(float64(va[i] - vb[i])); d > worst || math.IsNaN(d) {
				worst, where = d, name
			}
		}
	}
	return worst, where
}

// losses returns each logged training step's loss, and the eval losses.
func losses(t *testing.T, dir string) (trainLoss, evalLoss []float64) {
	t.Helper()
	recs, err := train.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if v, ok := r["loss"]; ok {
			trainLoss = append(trainLoss, v)
		}
		if v, ok := r["eval/loss"]; ok {
			evalLoss = append(evalLoss, v)
		}
	}
	return trainLoss, evalLoss
}

// TestDataParallelEquivalence: for SFT, MLM pretraining, a reward model and
// PET, 3 (PET: 2) steps of 2 ranks × batch 2 (gotrl launch) give the
// weights, the step losses and the eval losses of 1 process × batch 4,
// within 1e-5 (fp32).
//
// AdamW runs with eps 1e-5 instead of 1e-8: some gradients are zero in exact
// arithmetic (GPT-2's key bias, since softmax ignores a shift), and Adam
// turns their rounding noise (~1e-9, different for any other split of the
// batch) into steps of lr·g/(|g|+eps): up to 1e-3 apart with eps 1e-8,
// 1e-5 with 1e-6, below 1e-6 with 1e-5 (real gradients here are ≥ 1e-4).
func TestDataParallelEquivalence(t *testing.T) {
	t.Parallel()
	stages := stageData(t)
	conf := filepath.Join(t.TempDir(), "adam.yaml")
	// fp32: bf16 autocast (on by default on AVX-512-BF16/AMX CPUs) rounds
	// far beyond the tolerances this test compares at.
	if err := os.WriteFile(conf, []byte("adam_epsilon: 1.0e-5\nbf16: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sft", "pretrain", "rm", "prompt"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base, batch, steps := append(stages[name], "--max-steps", "3", "--lr", "5e-3", "--config", conf), "--batch-size", 3
			if name == "prompt" {
				base, batch, steps = append(stages[name], "--bf16=false"), "--train-batch-size", 2
			}
			one, two := filepath.Join(t.TempDir(), "one"), filepath.Join(t.TempDir(), "two")
			mustRun(t, gotrl(nil, append(base, batch, "4", "-o", one)...))
			out := mustRun(t, gotrl(nil, append([]string{"launch", "--nproc-per-node", "2", "--master-port", freePort(t), "--"}, append(base, batch, "2", "-o", two)...)...))
			if !strings.Contains(out, fmt.Sprintf("[rank0]: done: %d steps", steps)) {
				t.Errorf("launch output lacks rank 0's result line:\n%s", out)
			}
			w1, w2 := weightsOf(t, one), weightsOf(t, two)
			if d, where := maxDiff(t, w1, w2); d > 1e-5 {
				t.Errorf("weights differ by %g (%s) between 1×4 and 2×2", d, where)
			}
			init := weightsOf(t, filepath.Join("..", "..", "testdata", "models", map[string]string{"sft": "gpt2", "pretrain": "bert", "rm": "gpt2", "prompt": "bert"}[name]))
			if d, _ := maxDiff(t, pick(w1, init), pick(init, w1)); d < 1e-4 {
				t.Errorf("training changed the weights by only %g: the comparison proves nothing", d)
			}
			tr1, ev1 := losses(t, one)
			tr2, ev2 := losses(t, two)
			if len(tr1) != steps || len(tr2) != steps || len(ev1) != len(ev2) || (len(ev1) == 0) != (name == "prompt") {
				t.Fatalf("logged losses: 1×4 %v / %v, 2×2 %v / %v", tr1, ev1, tr2, ev2)
			}
			for i := range tr1 {
				if math.Abs(tr1[i]-tr2[i]) > 1e-5 {
					t.Errorf("step %d loss: 1×4 %v, 2×2 %v", i+1, tr1[i], tr2[i])
				}
			}
			for i := range ev1 {
				if math.Abs(ev1[i]-ev2[i]) > 1e-5 {
					t.Errorf("eval %d loss: 1×4 %v, 2×2 %v", i+1, ev1[i], ev2[i])
				}
			}
		})
	}
}

// pick keeps a's tensors that b also has (a reward head is new).
func pick(a, b map[string][]float32) map[string][]float32 {
	out := map[string][]float32{}
	for k, v := range a {
		if _, ok := b[k]; ok {
			out[k] = v
		}
	}
	return out
}

// rankCmd starts rank r of 2 directly, with the contract in its environment.
func rankCmd(r int, port string, args ...string) *exec.Cmd {
	p, _ := strconv.Atoi(port)
	e := dist.Env{Rank: r, WorldSize: 2, LocalRank: r, LocalWorldSize: 2, MasterAddr: "127.0.0.1", MasterPort: p}
	return gotrl(e.Vars(), args...)
}

// TestDataParallelResumeAfterKill: both ranks killed with SIGKILL after a
// checkpoint, then resumed, end bit-identical to an uninterrupted 2-rank run.
func TestDataParallelResumeAfterKill(t *testing.T) {
	t.Parallel()
	base := append(stageData(t)["sft"], "--max-steps", "16", "--save-steps", "2", "--batch-size", "2", "--eval-steps", "8")
	whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
	mustRun(t, gotrl(nil, append([]string{"launch", "--nproc-per-node", "2", "--master-port", freePort(t), "--"}, append(base, "-o", whole)...)...))

	port := freePort(t)
	ranks := []*exec.Cmd{rankCmd(0, port, append(base, "-o", cut)...), rankCmd(1, port, append(base, "-o", cut)...)}
	var logs [2]bytes.Buffer
	for i, c := range ranks {
		c.Stdout, c.Stderr = &logs[i], &logs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for { // kill both as soon as the first checkpoint is complete
		if _, err := os.Stat(filepath.Join(cut, "checkpoint-2", train.StateFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint-2 within a minute:\n%s\n%s", &logs[0], &logs[1])
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range ranks {
		_ = c.Process.Signal(syscall.SIGKILL)
	}
	for _, c := range ranks {
		_ = c.Wait()
	}
	if _, err := os.Stat(filepath.Join(cut, "model.safetensors")); err == nil {
		t.Fatal("the killed run had already finished: nothing was resumed")
	}
	port = freePort(t)
	resume := []*exec.Cmd{rankCmd(0, port, append(base, "--resume", cut)...), rankCmd(1, port, append(base, "--resume", cut)...)}
	for i, c := range resume {
		logs[i].Reset()
		c.Stdout, c.Stderr = &logs[i], &logs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range resume {
		if err := c.Wait(); err != nil {
			t.Fatalf("resumed rank %d: %v\n%s", i, err, &logs[i])
		}
	}
	if !strings.Contains(logs[0].String(), "resuming from") {
		t.Errorf("rank 0 did not resume:\n%s", &logs[0])
	}
	if d, where := maxDiff(t, weightsOf(t, whole), weightsOf(t, cut)); d != 0 {
		t.Errorf("resumed weights differ from the uninterrupted run's by %g (%s)", d, where)
	}
	a, ea := losses(t, whole)
	b, eb := losses(t, cut)
	if fmt.Sprint(a, ea) != fmt.Sprint(b, eb) {
		t.Errorf("losses differ:\nuninterrupted %v %v\nresumed       %v %v", a, ea, b, eb)
	}
}

// TestLaunchStopsAllRanks: when one rank fails (rank 0 cannot create the
// run directory, which only it writes), launch stops the other — waiting
// at the barrier for rank 0 — and reports the failed rank.
func TestLaunchStopsAllRanks(t *testing.T) {
	t.Parallel()
	args := stageData(t)["sft"]
	c := gotrl(nil, append([]string{"launch", "--nproc-per-node", "2", "--master-port", freePort(t), "--"}, append(args, "--batch-size", "2", "--max-steps", "3", "-o", "/dev/null/run")...)...)
	began := time.Now()
	b, err := c.CombinedOutput()
	if err == nil {
		t.Fatalf("launch succeeded:\n%s", b)
	}
	for _, want := range []string{"[rank0]: gotrl: --output-dir: lock run directory: mkdir /dev/null: not a directory", "rank 0 failed", "the other ranks were stopped"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("output lacks %q:\n%s", want, b)
		}
	}
	if el := time.Since(began); el > 30*time.Second {
		t.Errorf("launch took %s to stop", el)
	}
	t.Logf("%.1fs:\n%s", time.Since(began).Seconds(), b)
}

// TestLaunchFlags: launch's own flags are checked before anything starts.
func TestLaunchFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"launch", "--nproc-per-node", "0", "--", "sft"}, "--nproc-per-node 0"},
		{[]string{"launch", "--nnodes", "2", "--node-rank", "2", "--", "sft"}, "--node-rank 2: want 0 … 1"},
		{[]string{"launch", "--master-port", "0", "--", "sft"}, "--master-port 0"},
	} {
		cmd := newRootCmd()
		cmd.SetArgs(c.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	// the contract the ranks of node 1 of 2 get
	envs, err := launchOptions{nproc: 2, nnodes: 2, nodeRank: 1, masterAddr: "n0", masterPort: 29500}.envs()
	if err != nil || len(envs) != 2 || envs[1] != (dist.Env{Rank: 3, WorldSize: 4, LocalRank: 1, LocalWorldSize: 2, MasterAddr: "n0", MasterPort: 29500}) {
		t.Errorf("envs: %+v %v", envs, err)
	}
}

// TestTorchrunNoPython: `torchrun --no-python --nproc-per-node 2 gotrl sft …`
// from the peers venv (torch 2.1.0) trains exactly what `gotrl launch`
// does. Skipped only when the venv is absent ($PEERS_VENV or the repo's
// .venv-peers).
func TestTorchrunNoPython(t *testing.T) {
	t.Parallel()
	venv := os.Getenv("PEERS_VENV")
	if venv == "" {
		venv = filepath.Join("..", "..", ".venv-peers")
	}
	torchrun := filepath.Join(venv, "bin", "torchrun")
	if _, err := os.Stat(torchrun); err != nil {
		t.Skipf("no peers venv (%s): run scripts/python_peers.sh or set PEERS_VENV", torchrun)
	}
	base := append(stageData(t)["sft"], "--max-steps", "3", "--batch-size", "2")
	viaLaunch, viaTorchrun := filepath.Join(t.TempDir(), "launch"), filepath.Join(t.TempDir(), "torchrun")
	mustRun(t, gotrl(nil, append([]string{"launch", "--nproc-per-node", "2", "--master-port", freePort(t), "--"}, append(base, "-o", viaLaunch)...)...))
	c := exec.Command(torchrun, append([]string{"--no-python", "--nproc-per-node", "2", "--master-port", freePort(t), os.Args[0]}, append(base, "-o", viaTorchrun)...)...)
	c.Env = append(inheritedEnv(), asGotrl+"=1")
	out := mustRun(t, c)
	if d, where := maxDiff(t, weightsOf(t, viaLaunch), weightsOf(t, viaTorchrun)); d != 0 {
		t.Errorf("torchrun's weights differ from gotrl launch's by %g (%s)\n%s", d, where, out)
	}
	a, ea := losses(t, viaLaunch)
	b, eb := losses(t, viaTorchrun)
	if fmt.Sprint(a, ea) != fmt.Sprint(b, eb) {
		t.Errorf("losses differ: launch %v %v, torchrun %v %v", a, ea, b, eb)
	}
}

// TestPPODataParallelResume: `gotrl launch -- ppo` on 2 ranks writes one
// metrics record per iteration (rank 0) and checkpoints; both ranks
// killed with SIGKILL after a checkpoint and resumed end with the stats
// and weights of the uninterrupted 2-rank run, bit for bit.
func TestPPODataParallelResume(t *testing.T) {
	t.Parallel()
	args := ppoFixture(t)
	args[slices.Index(args, "--max-steps")+1] = "6"
	args[slices.Index(args, "--batch-size")+1] = "2"
	args[slices.Index(args, "--mini-batch-size")+1] = "1"
	whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
	out := mustRun(t, gotrl(nil, append([]string{"launch", "--nproc-per-node", "2", "--master-port", freePort(t), "--"}, append(args, "-o", whole)...)...))
	if !strings.Contains(out, "[rank0]: ppo: 6 steps") {
		t.Errorf("launch output lacks rank 0's result line:\n%s", out)
	}
	want, err := train.ReadMetrics(whole)
	if err != nil || len(want) != 6 {
		t.Fatalf("metrics of the 2-rank run: %d records, %v", len(want), err)
	}

	port := freePort(t)
	ranks := []*exec.Cmd{rankCmd(0, port, append(args, "-o", cut)...), rankCmd(1, port, append(args, "-o", cut)...)}
	var logs [2]bytes.Buffer
	for i, c := range ranks {
		c.Stdout, c.Stderr = &logs[i], &logs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for { // kill both as soon as checkpoint-3 is complete
		if _, err := os.Stat(filepath.Join(cut, "checkpoint-3", train.StateFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint-3 within 90 s:\n%s\n%s", &logs[0], &logs[1])
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range ranks {
		_ = c.Process.Signal(syscall.SIGKILL)
	}
	for _, c := range ranks {
		_ = c.Wait()
	}
	if _, err := os.Stat(filepath.Join(cut, "model.safetensors")); err == nil {
		t.Fatal("the killed run had already finished: nothing was resumed")
	}
	port = freePort(t)
	resume := []*exec.Cmd{rankCmd(0, port, "ppo", "--resume", cut, "--threads", "1"), rankCmd(1, port, "ppo", "--resume", cut, "--threads", "1")}
	for i, c := range resume {
		logs[i].Reset()
		c.Stdout, c.Stderr = &logs[i], &logs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range resume {
		if err := c.Wait(); err != nil {
			t.Fatalf("resumed rank %d: %v\n%s", i, err, &logs[i])
		}
	}
	got, err := train.ReadMetrics(cut)
	if err != nil || len(got) != len(want) {
		t.Fatalf("metrics after the resume: %d records (want %d), %v", len(got), len(want), err)
	}
	for i := range want {
		for k, w := range want[i] {
			if !strings.HasPrefix(k, "time/") && got[i][k] != w {
				t.Errorf("step %d %s: %v resumed, %v uninterrupted", i+1, k, got[i][k], w)
			}
		}
	}
	if d, where := maxDiff(t, weightsOf(t, whole), weightsOf(t, cut)); d != 0 {
		t.Errorf("resumed weights differ from the uninterrupted run's by %g (%s)", d, where)
	}
}

// TestCausal: which rank failures launch reports over a rank that exited
// because it lost a peer (status 3): a rank's own error and a SIGKILL
// launch did not send (the out-of-memory killer), not the stop launch
// asked for.
func TestCausal(t *testing.T) {
	tests := []struct {
		script string
		killed bool // launch has sent SIGKILL
		want   bool
	}{
		{"exit 1", false, true},
		{"exit 2", false, true},
		{"exit 3", false, false},
		{"exit 130", false, false},
		{"exit 143", false, false},
		{"kill -TERM $$", false, false},
		{"kill -INT $$", false, false},
		{"kill -KILL $$", false, true},
		{"kill -KILL $$", true, false},
	}
	for _, tc := range tests {
		err := exec.Command("sh", "-c", tc.script).Run()
		if err == nil {
			t.Fatalf("%s: no failure", tc.script)
		}
		if got := causal(err, tc.killed); got != tc.want {
			t.Errorf("%s (launch sent SIGKILL: %v): causal %v, want %v", tc.script, tc.killed, got, tc.want)
		}
	}
}
