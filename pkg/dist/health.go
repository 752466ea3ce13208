package dist

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	lib "github.com/sugarme/gotch/libtch"
)

const keyBeat = "gotrl/beat/" // + rank: a counter each rank increments

// heartbeat bumps this rank's counter in the store every interval, from its
// own goroutine (store calls only, no tensors), until stopped or the store
// stops answering.
type heartbeat struct {
	every time.Duration
	quit  chan struct{}
	done  sync.WaitGroup
}

func startHeartbeat(s lib.DistStore, rank int, every time.Duration) *heartbeat {
	h := &heartbeat{every: every, quit: make(chan struct{})}
	key := keyBeat + strconv.Itoa(rank)
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if _, err := lib.DistStoreAdd(s, key, 1); err != nil {
				return // the store is gone; a collective will say so
			}
			select {
			case <-h.quit:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heartbeat) stop() {
	close(h.quit)
	h.done.Wait()
}

// LostError is a collective that failed because ranks stopped (killed,
// crashed, or cut off): the error names them.
type LostError struct {
	Op    string // "all-reduce", "broadcast", "barrier"
	Ranks []int  // the lost ranks, when the store could tell
	// StoreLost: the rendezvous store stopped answering, so its host is
	// gone: rank 0, or with Agent the launcher (torchrun's agent).
	StoreLost, Agent bool
	Err              error // the backend's own message
}

func (e *LostError) Error() string {
	var who string
	switch {
	case len(e.Ranks) > 0:
		rs := make([]string, len(e.Ranks))
		for i, r := range e.Ranks {
			rs[i] = strconv.Itoa(r)
		}
		who = "lost rank " + strings.Join(rs, ", ")
	case e.StoreLost && e.Agent:
		who = "lost the launcher (its rendezvous store no longer answers)"
	case e.StoreLost:
		who = "lost rank 0 (it hosted the rendezvous store, which no longer answers)"
	default:
		who = "no rank lost (every heartbeat is alive: a rank is stuck, or ranks ran different collectives)"
	}
	return fmt.Sprintf("%s failed: %s: %v", e.Op, who, e.Err)
}

func (e *LostError) Unwrap() error { return e.Err }

// fail records a collective's failure, naming the lost ranks: every other
// rank's heartbeat counter is read twice, 2.5 intervals apart, and those
// that did not move are lost. Later collectives fail at once with it.
func (g *Group) fail(op string, cause error) error {
	if g.failed != nil {
		return g.failed
	}
	le := &LostError{Op: op, Err: cause}
	read := func() ([]int64, error) {
		v := make([]int64, g.env.WorldSize)
		for p := range v {
			if p == g.env.Rank {
				continue
			}
			n, err := lib.DistStoreAdd(g.store, keyBeat+strconv.Itoa(p), 0)
			if err != nil {
				return nil, err
			}
			v[p] = n
		}
		return v, nil
	}
	a, err := read()
	if err == nil {
		time.Sleep(g.health.every * 5 / 2)
		var b []int64
		if b, err = read(); err == nil {
			for p := range b {
				if p != g.env.Rank && b[p] == a[p] {
					le.Ranks = append(le.Ranks, p)
				}
			}
		}
	}
	if err != nil {
		le.StoreLost, le.Agent = true, g.env.AgentStore
	}
	g.failed = fmt.Errorf("rank %d: %w", g.env.Rank, le)
	return g.failed
}

// failedErr is the error of a collective attempted after a failure.
func (g *Group) failedErr(op string) error {
	return fmt.Errorf("%s: %w: %w", op, ErrFailed, g.failed)
}
