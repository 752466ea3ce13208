package dist

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	lib "github.com/sugarme/gotch/libtch"
)

// Store keys of gotrl's own rendezvous, beside those gloo uses.
const (
	keyClaim = "gotrl/claim/"     // + rank: how many processes claimed it
	keyRank  = "gotrl/rank/"      // + rank: "WORLD_SIZE host pid"
	keyAbort = "gotrl/abort"      // why a rank gave up; the others stop too
	keyRead  = "gotrl/abort-read" // how many ranks other than 0 have read or written it
)

// abortLinger bounds how long rank 0, whose process hosts the store, stays
// after a rendezvous failed so that the others read why.
const abortLinger = 2 * time.Second

// joinPoll is how often a joining rank looks for the others.
const joinPoll = 50 * time.Millisecond

// join checks every rank in before the process group connects, so that a
// missing rank, a rank claimed twice or a WORLD_SIZE that differs between
// ranks is a clear error within the timeout rather than a hang inside gloo.
func (g *Group) join() error {
	r, w := g.env.Rank, g.env.WorldSize
	n, err := lib.DistStoreAdd(g.store, keyClaim+strconv.Itoa(r), 1)
	if err != nil {
		return fmt.Errorf("rank %d: rendezvous: %w", r, err)
	}
	if n > 1 {
		return g.abort(fmt.Sprintf("two processes were started with RANK=%d", r))
	}
	host, _ := os.Hostname()
	me := fmt.Sprintf("%d %s %d", w, host, os.Getpid())
	if err := lib.DistStoreSet(g.store, keyRank+strconv.Itoa(r), []byte(me)); err != nil {
		return fmt.Errorf("rank %d: rendezvous: %w", r, err)
	}
	seen := make([]bool, w)
	seen[r] = true
	joined := 1
	deadline := time.Now().Add(g.timeout)
	for {
		if ok, err := lib.DistStoreCheck(g.store, keyAbort); err == nil && ok {
			why, _ := lib.DistStoreGet(g.store, keyAbort)
			g.aborted()
			return fmt.Errorf("rank %d: rendezvous aborted: %s", r, why)
		}
		for p := range w {
			if seen[p] {
				continue
			}
			ok, err := lib.DistStoreCheck(g.store, keyRank+strconv.Itoa(p))
			if err != nil {
				return fmt.Errorf("rank %d: rendezvous: %w", r, err)
			}
			if !ok {
				continue
			}
			v, err := lib.DistStoreGet(g.store, keyRank+strconv.Itoa(p))
			if err != nil {
				return fmt.Errorf("rank %d: rendezvous: %w", r, err)
			}
			f := strings.Fields(string(v))
			if len(f) == 0 || f[0] != strconv.Itoa(w) {
				return g.abort(fmt.Sprintf("WORLD_SIZE differs between ranks: rank %d has WORLD_SIZE=%d, rank %d (%s) has WORLD_SIZE=%s", r, w, p, strings.Join(f[1:], " pid "), first(f)))
			}
			seen[p] = true
			joined++
		}
		if joined == w {
			return nil
		}
		if time.Now().After(deadline) {
			var missing []string
			for p, ok := range seen {
				if !ok {
					missing = append(missing, strconv.Itoa(p))
				}
			}
			return fmt.Errorf("rank %d: rendezvous at %s:%d: %d of %d ranks joined within %s; missing rank %s (not started, crashed, or given another MASTER_ADDR/MASTER_PORT)",
				r, g.env.MasterAddr, g.env.MasterPort, joined, w, g.timeout, strings.Join(missing, ", "))
		}
		time.Sleep(joinPoll)
	}
}

// abort records why this rank gives up, so the others stop at once too.
func (g *Group) abort(why string) error {
	_ = lib.DistStoreSet(g.store, keyAbort, []byte(fmt.Sprintf("rank %d: %s", g.env.Rank, why)))
	g.aborted()
	return fmt.Errorf("rank %d: rendezvous: %s", g.env.Rank, why)
}

// aborted is a rank's last act in a failed rendezvous. Another rank counts
// itself out; rank 0 waits (at most abortLinger) until every rank that
// checked in has done so, since its exit closes the store: a rank still
// polling it would fail with a broken pipe instead of the reason.
func (g *Group) aborted() {
	if g.env.Rank != 0 {
		_, _ = lib.DistStoreAdd(g.store, keyRead, 1)
		return
	}
	var others int64
	for p := 1; p < g.env.WorldSize; p++ {
		if ok, err := lib.DistStoreCheck(g.store, keyRank+strconv.Itoa(p)); err == nil && ok {
			others++
		}
	}
	for deadline := time.Now().Add(abortLinger); time.Now().Before(deadline); time.Sleep(joinPoll / 5) {
		if n, err := lib.DistStoreAdd(g.store, keyRead, 0); err != nil || n >= others {
			return
		}
	}
}

func first(f []string) string {
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
