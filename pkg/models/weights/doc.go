// Package weights moves Hugging Face checkpoints in and out of an nn.Store.
//
// Reading: Open finds model.safetensors, model.safetensors.index.json
// (shards), pytorch_model.bin or pytorch_model.bin.index.json in a
// directory, in that order (as transformers' from_pretrained does), and
// reads tensors one at a time. Load copies a checkpoint into a store's
// existing tensors, strictly: names are HF names, so the only exceptions
// are a family's LoadOptions (prefix renames, ignored buffers, tied
// weights), and every missing, unexpected or mis-shaped tensor is reported
// before anything is copied.
//
// Writing: Save writes config.json and model.safetensors atomically in the
// layout transformers' save_pretrained produces, so Python loads them.
// SaveTensors and ReadTensors serve any other named tensors (optimizer
// state, expected outputs).
//
// The safetensors format itself lives in the pure-Go subpackage
// safetensors; pytorch_model.bin goes through gotch's unpickler (see bin.go).
package weights
