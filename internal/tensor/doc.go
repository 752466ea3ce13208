// Package tensor is gotrl's one boundary over gotch: every other package
// uses it instead of raw gotch patterns.
//
// It provides what gotch lacks for library code:
//   - errors instead of log.Fatal: never call gotch's Must* functions;
//   - deterministic freeing: a Scope frees every tensor it tracked when it
//     closes, except the ones handed out with Keep;
//   - panic inside, error at the edge: forward code calls s.T(op(...)), which
//     panics with *Error on a libtorch error; exported entry points defer
//     Recover(&err) to turn that back into an error (as encoding/json does);
//   - the thread rule (thread.go): all libtorch work on a locked OS thread —
//     init locks the main goroutine, entry points Pin theirs, and no-grad and
//     autocast regions are pinned, because libtorch keeps grad mode,
//     autocast and its OpenMP team per OS thread;
//   - the CPU allocator chosen at start (alloc.go: a caching allocator by
//     default, GOTRL_ALLOCATOR=cache|malloc|off);
//   - one C++ call per optimizer step, gradient clipping and zero_grad
//     (optim.go, through the gotch patch's ext package);
//   - seeding, RNG state, device parsing, the thread count and the CPU's
//     bf16 support.
//
// Tensors themselves are gotch's *ts.Tensor, aliased as Tensor.
package tensor
