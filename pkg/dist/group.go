package dist

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	lib "github.com/sugarme/gotch/libtch"
)

// Backend is the c10d backend: Gloo for CPU tensors, NCCL for CUDA ones
// (HF TrainingArguments.ddp_backend).
type Backend string

const (
	Gloo Backend = "gloo"
	NCCL Backend = "nccl" // CUDA builds only; untested (no GPU on the build machines)
)

// ParseBackend validates a backend name; "" picks Gloo, or NCCL when cuda.
func ParseBackend(s string, cuda bool) (Backend, error) {
	switch Backend(strings.ToLower(s)) {
	case "":
		if cuda {
			return NCCL, nil
		}
		return Gloo, nil
	case Gloo:
		return Gloo, nil
	case NCCL:
		return NCCL, nil
	}
	return "", fmt.Errorf("backend %q: want gloo or nccl", s)
}

// DefaultTimeout is torch.distributed's (and HF's ddp_timeout) default.
const DefaultTimeout = 30 * time.Minute

// Options tune Init.
type Options struct {
	Backend Backend
	// Timeout bounds the rendezvous (every rank joining) and each
	// collective; a lost rank is usually detected at once, without it.
	Timeout time.Duration
	// Heartbeat is how often each rank proves it is alive through the store,
	// so a failed collective can name the lost rank; 0 means one second.
	Heartbeat time.Duration
}

// Group is this process's membership in a data-parallel job: the c10d
// store and process group. A nil *Group is a single-process run: Rank 0,
// World 1, and every collective returns at once.
//
// Collectives must be called from the goroutine that owns the tensors (the
// locked main thread in cmd/gotrl), in the same order on every rank.
type Group struct {
	env     Env
	backend Backend
	timeout time.Duration
	store   lib.DistStore
	pg      lib.DistGroup
	health  *heartbeat
	failed  error // the first collective failure, already diagnosed
	closed  sync.Once
}

// Init joins the job described by env: rank 0 hosts the TCPStore at
// MASTER_ADDR:MASTER_PORT (unless torchrun's agent does), every rank
// checks in, and the process group connects. Errors name the variable,
// the port or the missing ranks. env.WorldSize 1 returns a nil *Group.
func Init(env Env, opt Options) (*Group, error) {
	if env.WorldSize <= 1 {
		return nil, nil
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Heartbeat <= 0 {
		opt.Heartbeat = time.Second
	}
	if opt.Backend == "" {
		opt.Backend = Gloo
	}
	g := &Group{env: env, backend: opt.Backend, timeout: opt.Timeout}
	if err := g.connect(); err != nil {
		return nil, err
	}
	if err := g.join(); err != nil {
		lib.DistStoreFree(g.store)
		return nil, err
	}
	pg, err := lib.DistGroupNew(g.store, string(opt.Backend), env.Rank, env.WorldSize, opt.Timeout.Milliseconds())
	if err != nil {
		lib.DistStoreFree(g.store)
		return nil, fmt.Errorf("rank %d: %s process group: %w", env.Rank, opt.Backend, err)
	}
	g.pg = pg
	g.health = startHeartbeat(g.store, env.Rank, opt.Heartbeat)
	return g, nil
}

// connect opens the store; rank 0 hosts it unless the launcher's agent does.
func (g *Group) connect() error {
	e := g.env
	server := e.Rank == 0 && !e.AgentStore
	prefix := ""
	if e.AgentStore {
		prefix = "/worker/attempt_" + strconv.Itoa(e.Attempt) // torch.distributed's namespace
	}
	s, err := lib.DistStoreNew(e.MasterAddr, e.MasterPort, server, g.timeout.Milliseconds(), prefix)
	if err == nil {
		g.store = s
		return nil
	}
	addr := fmt.Sprintf("%s:%d", e.MasterAddr, e.MasterPort)
	msg := err.Error()
	switch {
	case server && (strings.Contains(msg, "Address already in use") || strings.Contains(msg, "errno: 98")):
		return fmt.Errorf("rank 0: MASTER_PORT=%d is in use on this host (another job, or a launcher hosting the store without TORCHELASTIC_USE_AGENT_STORE=True); pick a free port: %w", e.MasterPort, err)
	case server:
		return fmt.Errorf("rank 0: cannot host the rendezvous store on port %d (MASTER_PORT): %w", e.MasterPort, err)
	case strings.Contains(msg, "timed out") || strings.Contains(msg, "Timeout"):
		return fmt.Errorf("rank %d: no rendezvous store answered at %s (MASTER_ADDR:MASTER_PORT) within %s: is rank 0 running?: %w", e.Rank, addr, g.timeout, err)
	}
	return fmt.Errorf("rank %d: rendezvous store at %s (MASTER_ADDR:MASTER_PORT): %w", e.Rank, addr, err)
}

// Rank is this process's rank (0 for a nil group).
func (g *Group) Rank() int {
	if g == nil {
		return 0
	}
	return g.env.Rank
}

// World is the number of processes (1 for a nil group).
func (g *Group) World() int {
	if g == nil {
		return 1
	}
	return g.env.WorldSize
}

// Env returns the contract the group was made from.
func (g *Group) Env() Env {
	if g == nil {
		return Env{WorldSize: 1, LocalWorldSize: 1}
	}
	return g.env
}

// Main reports whether this process writes the run's files (rank 0).
func (g *Group) Main() bool { return g.Rank() == 0 }

// Close leaves the job. After a failed collective it frees only the store:
// gloo's teardown could wait on the lost peer, and the process is exiting.
func (g *Group) Close() error {
	if g == nil {
		return nil
	}
	g.closed.Do(func() {
		g.health.stop()
		if g.failed == nil {
			lib.DistGroupFree(g.pg)
		}
		lib.DistStoreFree(g.store)
	})
	return nil
}

// ErrFailed is wrapped by every error after the group's first failure: a
// data-parallel job cannot continue once a collective has failed.
var ErrFailed = errors.New("process group failed earlier")
