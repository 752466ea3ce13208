// Package heads holds the task heads every family shares, written once:
// the language-model head (tied to the input embedding or with its own
// weight), HF's sequence-classification `score` on the last non-pad token,
// and TRL's scalar value head.
//
// Heads follow the layers conventions: constructors take a *nn.Path whose
// names are HF's, Forward returns tensors owned by the caller and panics
// with *tensor.Error on a libtorch failure (call them inside the model's
// or trainer's tensor.Recover / tensor.Catch).
package heads
