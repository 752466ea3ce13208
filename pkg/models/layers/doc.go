// Package layers holds the blocks every model family is built from, written
// once: Linear, GPT-2's Conv1D, Embedding, LayerNorm, T5's RMS norm,
// activations, attention (with padding, causal and UniLM masks and a
// key/value cache, one per layer or a KVStack per model), dropout, and
// CheckIDs, which names the first out-of-range id of an input.
//
// Conventions (shared by the families):
//   - a layer is a constructor taking a *nn.Path and dimensions, returning a
//     struct with Forward; parameter names are Hugging Face tensor names;
//   - Forward returns a new tensor owned by the caller and frees its own
//     intermediates with a tensor.Scope;
//   - a libtorch failure panics with *tensor.Error; each family's exported
//     entry points recover it into an error;
//   - train is an argument (dropout active only when true), never state.
package layers
