package dist

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

var cpu = gotch.CPU

// The two-process tests re-execute this test binary as ranks: helperMode
// selects what TestHelperRank does, the contract comes from the usual
// variables.
const (
	helperMode    = "GOTRL_DIST_HELPER"
	helperTimeout = 10 * time.Second
)

// TestHelperRank is not a test: re-executed by the tests below, it is one
// rank of a job and reports on stdout.
func TestHelperRank(t *testing.T) {
	mode := os.Getenv(helperMode)
	if mode == "" {
		t.Skip("helper process for the two-process tests")
	}
	if err := helper(mode); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helper(mode string) error {
	env, ok, err := FromEnv(os.Getenv)
	if err != nil || !ok {
		return fmt.Errorf("env: ok %v, %v", ok, err)
	}
	timeout, _ := time.ParseDuration(os.Getenv("GOTRL_DIST_TIMEOUT"))
	g, err := Init(env, Options{Timeout: timeout, Heartbeat: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	defer g.Close()
	switch mode {
	case "collectives":
		return collectives(g)
	case "loop": // all-reduce until a peer is lost
		x, err := tensor.FromFloat32s([]float32{1, 2, 3}, []int64{3}, cpu)
		if err != nil {
			return err
		}
		defer tensor.Free(x)
		for i := 0; ; i++ {
			if err := g.AllReduce([]*tensor.Tensor{x}, Max); err != nil {
				return err
			}
			fmt.Printf("step %d\n", i)
			time.Sleep(20 * time.Millisecond)
		}
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// collectiveResult is what a rank reports after collectives().
type collectiveResult struct {
	Sums      [][]float32 // three all-reduced tensors (sum)
	Max       []float32
	Broadcast []float32
	Float64s  []float64
}

// collectives runs every collective on rank-dependent values, with buckets
// small enough that the tensors span three of them.
func collectives(g *Group) error {
	BucketBytes = 5 * 4
	r := float32(g.Rank())
	vals := [][]float32{{1 + r, 2, 3 * r}, {r, r, r, r}, {10 * r, -1, 0.5, 7, r * r, 1}}
	var ts []*tensor.Tensor
	for i, v := range vals {
		shape := []int64{int64(len(v))}
		if i == 2 {
			shape = []int64{2, 3}
		}
		x, err := tensor.FromFloat32s(v, shape, cpu)
		if err != nil {
			return err
		}
		defer tensor.Free(x)
		ts = append(ts, x)
	}
	if err := g.AllReduce(ts, Sum); err != nil {
		return err
	}
	var res collectiveResult
	for _, x := range ts {
		v, err := tensor.Float32s(x)
		if err != nil {
			return err
		}
		res.Sums = append(res.Sums, v)
	}
	m, err := tensor.FromFloat32s([]float32{r, -r - 1, 5}, []int64{3}, cpu)
	if err != nil {
		return err
	}
	defer tensor.Free(m)
	b, err := tensor.FromFloat32s([]float32{100 + r, 200 + r}, []int64{2}, cpu)
	if err != nil {
		return err
	}
	defer tensor.Free(b)
	if err := g.AllReduce([]*tensor.Tensor{m}, Max); err != nil {
		return err
	}
	if err := g.Broadcast([]*tensor.Tensor{b}, 1); err != nil {
		return err
	}
	if err := g.Barrier(); err != nil {
		return err
	}
	res.Float64s = []float64{1e-9 * float64(r+1), float64(g.World())}
	if err := g.ReduceFloat64s(res.Float64s, Sum); err != nil {
		return err
	}
	if res.Max, err = tensor.Float32s(m); err != nil {
		return err
	}
	if res.Broadcast, err = tensor.Float32s(b); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// rank is one started helper process.
type rank struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	lines          chan string // stdout lines, when watched
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs the helper as rank r of world, with extra variables last (they win).
func start(t *testing.T, mode string, r, world, port int, timeout time.Duration, extra ...string) *rank {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRank$")
	e := Env{Rank: r, WorldSize: world, LocalRank: r, LocalWorldSize: world, MasterAddr: "127.0.0.1", MasterPort: port}
	cmd.Env = append(append(os.Environ(), helperMode+"="+mode, "GOTRL_DIST_TIMEOUT="+timeout.String()), append(e.Vars(), extra...)...)
	p := &rank{cmd: cmd, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if mode == "loop" {
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		p.lines = make(chan string, 1000)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				p.lines <- sc.Text()
			}
			close(p.lines)
		}()
	} else {
		cmd.Stdout = p.stdout
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return p
}

// wait waits for the process, at most limit, and returns its exit error.
func (p *rank) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		t.Fatalf("rank did not exit within %s; stderr:\n%s", limit, p.stderr)
	}
	return nil
}

// TestTwoRanksCollectives: sums, max, broadcast, barrier and float64
// reductions over two processes on loopback, against values computed here.
func TestTwoRanksCollectives(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	ranks := []*rank{start(t, "collectives", 0, 2, port, helperTimeout), start(t, "collectives", 1, 2, port, helperTimeout)}
	want := collectiveResult{
		// rank 0 + rank 1 of collectives()'s values
		Sums:      [][]float32{{1 + 2, 4, 0 + 3}, {1, 1, 1, 1}, {10, -2, 1, 14, 1, 2}},
		Max:       []float32{1, -1, 5},
		Broadcast: []float32{101, 201},
		Float64s:  []float64{3e-9, 4},
	}
	for r, p := range ranks {
		if err := p.wait(t, 30*time.Second); err != nil {
			t.Fatalf("rank %d: %v\n%s", r, err, p.stderr)
		}
		var got collectiveResult
		if err := json.Unmarshal(p.stdout.Bytes(), &got); err != nil {
			t.Fatalf("rank %d: %v: %q", r, err, p.stdout)
		}
		if fmt.Sprint(got.Sums, got.Max, got.Broadcast) != fmt.Sprint(want.Sums, want.Max, want.Broadcast) {
			t.Errorf("rank %d: sums %v max %v broadcast %v, want %v %v %v", r, got.Sums, got.Max, got.Broadcast, want.Sums, want.Max, want.Broadcast)
		}
		for i := range want.Float64s {
			if math.Abs(got.Float64s[i]-want.Float64s[i]) > 1e-20 {
				t.Errorf("rank %d: float64 sums %v, want %v", r, got.Float64s, want.Float64s)
			}
		}
	}
}

// TestLostRank: a rank killed with SIGKILL mid-run makes the other's next
// collective fail within the timeout, with an error naming it (the killed
// rank 1 is a worker; the killed rank 0 also hosted the store).
func TestLostRank(t *testing.T) {
	t.Parallel()
	for _, killed := range []int{1, 0} {
		t.Run(fmt.Sprintf("kill rank %d", killed), func(t *testing.T) {
			t.Parallel()
			port := freePort(t)
			ranks := []*rank{start(t, "loop", 0, 2, port, helperTimeout), start(t, "loop", 1, 2, port, helperTimeout)}
			for line := range ranks[killed].lines { // both ranks are in the loop
				if line == "step 3" {
					break
				}
			}
			if err := ranks[killed].cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			other := ranks[1-killed]
			go func() {
				for range other.lines {
				}
			}()
			err := other.wait(t, helperTimeout)
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("rank %d: exit %v, want a failure; stderr:\n%s", 1-killed, err, other.stderr)
			}
			want := map[int]string{1: "all-reduce failed: lost rank 1", 0: "all-reduce failed: lost rank 0"}[killed]
			if !strings.Contains(other.stderr.String(), want) {
				t.Errorf("rank %d's error does not name the lost rank (%q):\n%s", 1-killed, want, other.stderr)
			}
			t.Logf("rank %d exited %.1fs after the kill: %s", 1-killed, time.Since(began).Seconds(), strings.TrimSpace(other.stderr.String()))
		})
	}
}

// TestRendezvousErrors: a port in use, a missing rank, WORLD_SIZE that
// differs between ranks and a rank started twice fail with clear errors.
func TestRendezvousErrors(t *testing.T) {
	t.Parallel()
	t.Run("port in use", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		p := start(t, "collectives", 0, 2, port, 3*time.Second)
		expectError(t, p, 20*time.Second, fmt.Sprintf("MASTER_PORT=%d is in use", port))
	})
	t.Run("missing rank", func(t *testing.T) {
		t.Parallel()
		p := start(t, "collectives", 0, 3, freePort(t), 2*time.Second)
		expectError(t, p, 20*time.Second, "1 of 3 ranks joined within 2s; missing rank 1, 2")
	})
	t.Run("world size differs", func(t *testing.T) {
		t.Parallel()
		port := freePort(t)
		a := start(t, "collectives", 0, 2, port, helperTimeout)
		b := start(t, "collectives", 1, 2, port, helperTimeout, "WORLD_SIZE=3")
		for _, p := range []*rank{a, b} {
			expectError(t, p, 20*time.Second, "WORLD_SIZE differs between ranks")
		}
	})
	t.Run("rank twice", func(t *testing.T) {
		t.Parallel()
		// rank 2 never comes, so nobody finishes joining before both rank 1s have checked in
		port := freePort(t)
		ps := []*rank{start(t, "collectives", 0, 3, port, helperTimeout), start(t, "collectives", 1, 3, port, helperTimeout), start(t, "collectives", 1, 3, port, helperTimeout)}
		var msgs []string
		for _, p := range ps {
			_ = p.wait(t, 20*time.Second)
			msgs = append(msgs, p.stderr.String())
		}
		if !strings.Contains(strings.Join(msgs, "\n"), "two processes were started with RANK=1") {
			t.Errorf("no rank reported the duplicate RANK=1:\n%s", strings.Join(msgs, "\n"))
		}
	})
}

func expectError(t *testing.T, p *rank, limit time.Duration, want string) {
	t.Helper()
	err := p.wait(t, limit)
	if err == nil || !strings.Contains(p.stderr.String(), want) {
		t.Errorf("exit %v; stderr does not contain %q:\n%s", err, want, p.stderr)
	}
}

// TestFromEnv: the contract as torchrun writes it, and each broken variable.
func TestFromEnv(t *testing.T) {
	full := map[string]string{"RANK": "1", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "node0", "MASTER_PORT": "29500"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		env     map[string]string
		ok      bool
		want    Env
		wantErr string
	}{
		{"single process", map[string]string{}, false, Env{}, ""},
		{"torchrun", full, true, Env{Rank: 1, WorldSize: 4, LocalRank: 1, LocalWorldSize: 2, MasterAddr: "node0", MasterPort: 29500}, ""},
		{"agent store", with("TORCHELASTIC_USE_AGENT_STORE", "True"), true, Env{Rank: 1, WorldSize: 4, LocalRank: 1, LocalWorldSize: 2, MasterAddr: "node0", MasterPort: 29500, AgentStore: true}, ""},
		{"world of one", map[string]string{"RANK": "0", "WORLD_SIZE": "1"}, true, Env{WorldSize: 1, LocalWorldSize: 1}, ""},
		{"rank too big", with("RANK", "4"), false, Env{}, "RANK=4 is not below WORLD_SIZE=4"},
		{"no world size", with("WORLD_SIZE", "-"), false, Env{}, "WORLD_SIZE is not set"},
		{"bad rank", with("RANK", "x"), false, Env{}, `RANK="x": want an integer ≥ 0`},
		{"no master", with("MASTER_ADDR", "-"), false, Env{}, "MASTER_ADDR is not set"},
		{"bad port", with("MASTER_PORT", "70000"), false, Env{}, "MASTER_PORT=70000"},
		{"local rank", with("LOCAL_RANK", "2"), false, Env{}, "LOCAL_RANK=2 is not below LOCAL_WORLD_SIZE=2"},
		{"local world", with("LOCAL_WORLD_SIZE", "8"), false, Env{}, "LOCAL_WORLD_SIZE=8 exceeds WORLD_SIZE=4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok, err := FromEnv(func(k string) string { return c.env[k] })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || ok != c.ok || got != c.want {
				t.Fatalf("got %+v ok %v err %v, want %+v ok %v", got, ok, err, c.want, c.ok)
			}
		})
	}
	// Vars round-trips through FromEnv.
	e := Env{Rank: 2, WorldSize: 3, LocalRank: 0, LocalWorldSize: 1, MasterAddr: "h", MasterPort: 1234}
	m := map[string]string{}
	for _, kv := range e.Vars() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	if got, ok, err := FromEnv(func(k string) string { return m[k] }); err != nil || !ok || got != e {
		t.Fatalf("round trip: %+v %v %v, want %+v", got, ok, err, e)
	}
}

// TestNilGroup: a single-process run's nil group is a no-op.
func TestNilGroup(t *testing.T) {
	var g *Group
	x, err := tensor.FromFloat32s([]float32{1, 2}, []int64{2}, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer tensor.Free(x)
	if err := g.AllReduce([]*tensor.Tensor{x}, Sum); err != nil {
		t.Fatal(err)
	}
	v, _ := tensor.Float32s(x)
	if g.Rank() != 0 || g.World() != 1 || !g.Main() || v[0] != 1 || v[1] != 2 || g.Barrier() != nil || g.Close() != nil {
		t.Fatalf("nil group: rank %d world %d values %v", g.Rank(), g.World(), v)
	}
}

// TestNoGlooTypeCompiledIn guards the header choice (scripts/gotch/README.md):
// gloo's headers come from Debian's older snapshot, so gotrl's C++ must not
// export any vtable or typeinfo of a gloo type or of one deriving from it
// (GlooStore), which would then take precedence over libtorch's own.
func TestNoGlooTypeCompiledIn(t *testing.T) {
	f, err := elf.Open(os.Args[0])
	if err != nil {
		t.Skipf("cannot read this test binary: %v", err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	imported := false
	for _, s := range syms {
		if s.Section == elf.SHN_UNDEF {
			imported = imported || strings.Contains(s.Name, "ProcessGroupGloo")
			continue
		}
		rtti := strings.HasPrefix(s.Name, "_ZTV") || strings.HasPrefix(s.Name, "_ZTI") || strings.HasPrefix(s.Name, "_ZTS")
		if rtti && strings.Contains(s.Name, "gloo") {
			t.Errorf("exported here: %s", s.Name)
		}
	}
	if !imported {
		t.Fatal("the binary imports nothing of ProcessGroupGloo: the check looked at the wrong file")
	}
}
