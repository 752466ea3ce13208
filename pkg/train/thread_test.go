package train

import (
	"testing"
	"time"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/internal/tensor/threadtest"
	"github.com/gotrl/gotrl/pkg/data"
)

// threadProbe records the OS thread of every Loss call and parks before
// each, as a stage reading data from disk might.
type threadProbe struct {
	*toy
	tids []int
}

func (p *threadProbe) Loss(b data.Batch) (*tensor.Tensor, map[string]float64, error) {
	time.Sleep(300 * time.Microsecond)
	p.tids = append(p.tids, tensor.ThreadID())
	return p.toy.Loss(b)
}

// TestStepRunsOnOneThread: a step called from an unlocked goroutine (here
// the test's own) runs all its micro-batches on one OS thread, so libtorch
// keeps one thread team and one grad/autocast state for the whole step
// (the thread rule, internal/tensor/thread.go). Other goroutines park and
// wake meanwhile, which makes an unpinned goroutine change threads.
func TestStepRunsOnOneThread(t *testing.T) {
	defer threadtest.Churn(t)()
	m, err := newToy(0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	ld, err := toyLoader(24, 5, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := toyConfig(t.TempDir())
	cfg.BatchSize, cfg.Accum = 2, 12
	p := &threadProbe{toy: m}
	l, err := New(cfg, p, ld)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for step := range 3 {
		p.tids = p.tids[:0]
		if _, err := l.Step(); err != nil {
			t.Fatal(err)
		}
		for i, tid := range p.tids {
			if tid != p.tids[0] {
				t.Fatalf("step %d: micro-batch %d ran on thread %d, micro-batch 0 on %d", step+1, i, tid, p.tids[0])
			}
		}
	}
}
