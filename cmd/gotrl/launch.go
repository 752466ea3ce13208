package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gotrl/gotrl/pkg/dist"
)

// launchOptions are torchrun's flags of the same names.
type launchOptions struct {
	nproc, nnodes, nodeRank int
	masterAddr              string
	masterPort              int
}

// launchGrace is how long ranks get to exit after SIGTERM before SIGKILL
// (torchrun waits 30 s too).
const launchGrace = 30 * time.Second

func newLaunchCmd() *cobra.Command {
	var o launchOptions
	cmd := &cobra.Command{
		Use:   "launch [flags] -- COMMAND [ARGS...]",
		Short: "Run a gotrl command data-parallel: N processes per node, as torchrun starts them",
		Long: "launch starts --nproc-per-node copies of this gotrl binary running COMMAND, each with the\n" +
			"environment torchrun gives (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,\n" +
			"MASTER_PORT), prefixes every output line with its rank, and stops all ranks when one fails.\n" +
			"--batch-size is per process: the global batch is batch size × processes × --grad-accum.\n" +
			"`torchrun --no-python --nproc-per-node N gotrl COMMAND …` runs the same job.",
		Example: "  gotrl launch --nproc-per-node 2 -- sft --init runs/pretrain --data sft.jsonl --batch-size 4 -o runs/sft\n" +
			"  # two nodes: the same command on each, with --node-rank 0 and 1\n" +
			"  gotrl launch --nnodes 2 --node-rank 0 --nproc-per-node 2 --master-addr node0 --master-port 29500 -- pretrain …",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// global flags given to launch (--threads, --ddp-timeout, …) are the ranks'
			var inherited []string
			cmd.InheritedFlags().Visit(func(f *pflag.Flag) { inherited = append(inherited, "--"+f.Name+"="+f.Value.String()) })
			return launch(cmd.Context(), o, append(inherited, args...), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // everything from COMMAND on is the ranks'
	f.IntVar(&o.nproc, "nproc-per-node", 1, "processes on this node")
	f.IntVar(&o.nnodes, "nnodes", 1, "nodes in the job")
	f.IntVar(&o.nodeRank, "node-rank", 0, "this node's rank, 0 … nnodes-1")
	f.StringVar(&o.masterAddr, "master-addr", "127.0.0.1", "host of rank 0, which hosts the rendezvous store")
	f.IntVar(&o.masterPort, "master-port", 29500, "port of the rendezvous store on the master")
	return cmd
}

// envs returns each local process's contract.
func (o launchOptions) envs() ([]dist.Env, error) {
	switch {
	case o.nproc < 1:
		return nil, fmt.Errorf("--nproc-per-node %d: want ≥ 1", o.nproc)
	case o.nnodes < 1:
		return nil, fmt.Errorf("--nnodes %d: want ≥ 1", o.nnodes)
	case o.nodeRank < 0 || o.nodeRank >= o.nnodes:
		return nil, fmt.Errorf("--node-rank %d: want 0 … %d (--nnodes %d)", o.nodeRank, o.nnodes-1, o.nnodes)
	case o.masterPort < 1 || o.masterPort > 65535:
		return nil, fmt.Errorf("--master-port %d: want a TCP port", o.masterPort)
	case o.masterAddr == "":
		return nil, errors.New("--master-addr is empty")
	}
	out := make([]dist.Env, o.nproc)
	for i := range out {
		out[i] = dist.Env{
			Rank: o.nodeRank*o.nproc + i, WorldSize: o.nnodes * o.nproc,
			LocalRank: i, LocalWorldSize: o.nproc,
			MasterAddr: o.masterAddr, MasterPort: o.masterPort,
		}
	}
	return out, nil
}

// launch runs the ranks of this node and waits for them. The first rank to
// fail has the others stopped (SIGTERM, then SIGKILL after launchGrace),
// and its failure is the error; SIGINT or SIGTERM to the launcher is passed
// on to every rank, which saves a checkpoint and exits.
func launch(ctx context.Context, o launchOptions, args []string, stdout, stderr io.Writer) error {
	envs, err := o.envs()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	base := inheritedEnv()
	out, errOut := &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	procs := make([]*exec.Cmd, len(envs))
	var copying sync.WaitGroup
	var childEnds []*os.File // closed here once the ranks have started
	defer func() {
		for _, f := range childEnds {
			f.Close()
		}
	}()
	for i, e := range envs {
		c := exec.Command(self, args...)
		c.Env = append(append([]string{}, base...), e.Vars()...)
		// A launcher killed outright still stops its ranks: they get SIGTERM,
		// save a checkpoint and exit. (Pdeathsig follows the forking thread;
		// ours is the main thread, locked in init, which lives as long as we do.)
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		prefix := fmt.Sprintf("[rank%d]: ", e.Rank)
		// Our own pipes, not StdoutPipe: Wait would close those before
		// everything was read.
		for _, dst := range []*lockedWriter{out, errOut} {
			r, w, err := os.Pipe()
			if err != nil {
				return fmt.Errorf("launch: %w", err)
			}
			childEnds = append(childEnds, w)
			if dst == out {
				c.Stdout = w
			} else {
				c.Stderr = w
			}
			copying.Add(1)
			go func() {
				defer copying.Done()
				defer r.Close()
				dst.prefixLines(prefix, r)
			}()
		}
		procs[i] = c
	}
	type exit struct {
		i   int
		err error
	}
	exits := make(chan exit, len(procs))
	alive := make([]bool, len(procs))
	for i, c := range procs {
		if err := c.Start(); err != nil {
			stopAll(procs, alive, syscall.SIGKILL)
			return fmt.Errorf("launch rank %d: %w", envs[i].Rank, err)
		}
		alive[i] = true
		go func() { exits <- exit{i, c.Wait()} }()
	}
	for _, f := range childEnds { // the ranks hold them now: EOF comes when they exit
		f.Close()
	}
	childEnds = nil
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	var failed *exit
	var kill <-chan time.Time
	killed := false // launch has sent SIGKILL
	for running := len(procs); running > 0; {
		select {
		case x := <-exits:
			running--
			alive[x.i] = false
			switch {
			case x.err == nil:
			case failed == nil:
				failed = &x
				stopAll(procs, alive, syscall.SIGTERM)
				kill = time.After(launchGrace)
			case rankStatus(failed.err) == lostRankCode && causal(x.err, killed):
				// the rank that lost a peer was reaped before the peer
				failed = &x
			}
		case s := <-sig:
			stopAll(procs, alive, s)
		case <-kill:
			stopAll(procs, alive, syscall.SIGKILL)
			killed = true
		case <-ctx.Done():
			stopAll(procs, alive, syscall.SIGKILL)
			killed = true
			ctx = context.Background() // once
		}
	}
	copying.Wait()
	if failed != nil {
		return fmt.Errorf("rank %d failed (%v); the other ranks were stopped", envs[failed.i].Rank, failed.err)
	}
	return nil
}

// lostRankCode is the exit status of a rank that failed because another
// was lost (dist.LostError, main): launch then reports the failure that
// caused it, as torchrun reports its first failure, whichever exit it
// reaps first (the lost rank's own exit can take longer to finish).
const lostRankCode = 3

// rankStatus is a rank's exit status (-1 when a signal ended it).
func rankStatus(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// causal says a rank's failure is its own: not a lost peer, and not the
// stop launch asked for (SIGTERM or SIGINT, the status a run so stopped
// exits with, or SIGKILL once launch has sent it); a SIGKILL launch did
// not send (the kernel's out-of-memory killer) is the rank's own.
func causal(err error, killed bool) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal() == syscall.SIGKILL && !killed
	}
	switch ee.ExitCode() {
	case lostRankCode, 130, 143:
		return false
	}
	return true
}

// inheritedEnv is this process's environment without a contract a launcher
// above us may have set: the ranks get their own.
func inheritedEnv() []string {
	drop := map[string]bool{"TORCHELASTIC_USE_AGENT_STORE": true, "TORCHELASTIC_RESTART_COUNT": true, "GROUP_RANK": true}
	for _, v := range dist.Contract {
		drop[v] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			out = append(out, kv)
		}
	}
	return out
}

// stopAll signals every rank still running.
func stopAll(procs []*exec.Cmd, alive []bool, s os.Signal) {
	for i, c := range procs {
		if alive[i] {
			_ = c.Process.Signal(s)
		}
	}
}

// lockedWriter writes whole lines from several ranks without interleaving.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// prefixLines copies r to the writer line by line, each line prefixed.
func (l *lockedWriter) prefixLines(prefix string, r io.Reader) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if !strings.HasSuffix(line, "\n") {
				line += "\n"
			}
			l.mu.Lock()
			_, _ = io.WriteString(l.w, prefix+line)
			l.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}
