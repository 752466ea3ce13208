package tensor

import (
	"runtime"
	"syscall"
)

// The thread rule: all libtorch work runs on a locked OS thread.
//
// libtorch keeps state per OS thread: grad mode, autocast and its cast
// cache, and the OpenMP thread team (each OS thread that enters a parallel
// region gets a team of its own, whose workers spin for a while after every
// region). Go moves a goroutine between OS threads at any point, so an
// unlocked goroutine runs consecutive ops on different threads: several
// teams spin against each other and no-grad or autocast state set on one
// thread is not seen on the next. Hence:
//
//  1. init below locks the main goroutine to the main OS thread. Every
//     program that imports gotrl (the CLI and any embedder) runs main() on
//     one thread with one team, and allocates from glibc's main arena.
//  2. Exported entry points that run many ops — a training step, a PPO
//     step, generation, NoGrad and Autocast regions — call Pin, so a caller
//     on another goroutine (a server's handler, a test's t.Run) runs each
//     whole call on one thread. Pinning nests and costs nanoseconds.
//  3. No gotrl package touches tensors from a goroutine it starts, and
//     embedders must not either inside a call: a goroutine has its own
//     thread, so a tensor op there escapes the caller's no-grad/autocast
//     state. Freeing a tensor is safe from any thread (finalizers do it).
//
// A dedicated worker goroutine that runs every call would give the same
// single thread to all callers, at the cost of a channel round trip per
// call (docs/performance.md has the measurements): Pin gives the same speed
// without it, since libtorch work never needs to move between goroutines.
func init() { runtime.LockOSThread() }

// Pin locks the calling goroutine to its OS thread until the returned
// function runs: `defer tensor.Pin()()` at the top of an entry point.
func Pin() (unpin func()) {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}

// ThreadID is the calling goroutine's current OS thread id (Linux gettid),
// for tests and diagnostics of the thread rule.
func ThreadID() int { return syscall.Gettid() }
