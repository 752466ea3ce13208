package tensor

import (
	"testing"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor/threadtest"
)

// TestNoGradAndAutocastHoldAcrossSleeps is the thread rule where it
// matters: grad mode and autocast are per OS thread, so code inside NoGrad
// or Autocast that parks (a channel, a sleep, I/O) must resume on the same
// thread, or its next op runs with the other thread's state (recording
// gradients, or in fp32). Run in a test goroutine, which is not locked.
func TestNoGradAndAutocastHoldAcrossSleeps(t *testing.T) {
	defer threadtest.Churn(t)()
	x := must(t)(ts.Ones([]int64{4, 4}, gotch.Float, gotch.CPU))
	defer Free(x)
	xg := must(t)(x.SetRequiresGrad(true, false))
	defer Free(xg)
	const rounds = 40
	t.Run("no-grad", func(t *testing.T) {
		err := NoGrad(func() {
			tid := ThreadID()
			for i := range rounds {
				time.Sleep(200 * time.Microsecond)
				y := must(t)(xg.Matmul(xg, false))
				rg, _ := y.RequiresGrad()
				Free(y)
				if rg || ThreadID() != tid {
					t.Fatalf("round %d: result requires grad %v, thread %d (started on %d)", i, rg, ThreadID(), tid)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("autocast", func(t *testing.T) {
		err := Autocast(gotch.CPU, gotch.BFloat16, func() {
			for i := range rounds {
				time.Sleep(200 * time.Microsecond)
				y := must(t)(x.Matmul(x, false))
				k := y.DType()
				Free(y)
				if k != gotch.BFloat16 {
					t.Fatalf("round %d: matmul under autocast gave %v, want BFloat16", i, k)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestThreadStateIsPerThread shows why the rule exists: autocast switched
// on in one locked goroutine is not seen by another OS thread.
func TestThreadStateIsPerThread(t *testing.T) {
	x := must(t)(ts.Ones([]int64{4, 4}, gotch.Float, gotch.CPU))
	defer Free(x)
	var other gotch.DType
	var otherTID int
	var otherErr error
	err := Autocast(gotch.CPU, gotch.BFloat16, func() {
		done := make(chan struct{})
		go func() { // a new goroutine on its own locked thread
			defer close(done)
			defer Pin()()
			otherTID = ThreadID()
			var y *Tensor
			if y, otherErr = x.Matmul(x, false); otherErr == nil {
				other = y.DType()
				Free(y)
			}
		}()
		<-done
		if otherErr != nil {
			t.Fatal(otherErr)
		}
		if otherTID == ThreadID() { // a locked thread runs only its goroutine
			t.Fatal("two locked goroutines shared a thread")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if other != gotch.Float {
		t.Fatalf("matmul on another thread gave %v, want Float: autocast leaked across threads", other)
	}
}

func TestPinNests(t *testing.T) {
	unpin := Pin()
	tid := ThreadID()
	func() {
		defer Pin()()
		time.Sleep(time.Millisecond)
	}()
	defer threadtest.Churn(t)()
	for range 20 {
		time.Sleep(200 * time.Microsecond)
		if ThreadID() != tid {
			t.Fatal("an inner Pin's unpin released the outer pin")
		}
	}
	unpin()
}
