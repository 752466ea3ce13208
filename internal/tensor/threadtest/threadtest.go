// Package threadtest helps tests of the thread rule (internal/tensor's
// thread.go) make an unpinned goroutine change OS threads.
package threadtest

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Churn keeps the scheduler busy with goroutines that park and wake until
// the returned stop runs, so a goroutine that is not locked to its thread
// and sleeps is likely to resume on another OS thread.
func Churn(t testing.TB) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
					time.Sleep(50 * time.Microsecond)
				}
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}
