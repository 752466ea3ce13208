// Package data reads the training sets gotrl learns from and turns them into
// padded id batches. It is pure Go: it never imports gotch, and its output is
// [][]int64 that the model side converts to tensors in one place.
//
// The package has three layers, each in its own files:
//
//   - Readers (reader.go, record.go, fieldmap.go, jsonl.go, jsonarray.go,
//     csv.go, squad.go) stream
//     JSON arrays, JSONL, CSV/TSV and the SQuAD layout as Records, with a
//     field mapping (--field content=text) and a skip-bad policy. Every bad
//     record is reported as file:line (or a JSON path for SQuAD) plus the
//     field name.
//   - Task builders (tasks.go, stages.go, rank.go, split.go) turn Records into
//     the examples the trainers consume: SFT pairs, preference pairs, ranked
//     lists, prompts and labeled texts, built from the book's data sets
//     (CSL titles, fault-report triples, CMRC2018 questions, ChnSentiCorp), and
//     split them by group with a seed.
//   - Batching (encode.go, collate.go, sampler.go, loader.go) tokenizes examples through
//     tokenizer.Tokenizer with HF-style truncation, pads left or right, builds
//     attention masks and -100 labels, and plans length-bucketed, seeded
//     batches whose Cursor can be saved for an exact resume.
//
// Randomness always comes from math/rand/v2 PCG sources seeded explicitly,
// never from the global generator, so every shuffle, split and generated
// negative is reproducible from its seed.
package data
