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
//   - no-grad and autocast regions pinned to one OS thread, because libtorch
//     keeps grad mode and autocast state per thread;
//   - seeding, RNG state, device parsing and the thread count.
//
// Tensors themselves are gotch's *ts.Tensor, aliased as Tensor.
package tensor
