// Package generate is gotrl's one generation loop for every model family,
// after transformers' generation/utils.py (v4.46): greedy search,
// sampling (temperature, top-k, top-p), beam search with BeamSearchScorer's
// rules, repetition / n-gram / bad-word / minimum-length processors, left-
// padded batches and per-row stopping.
//
// A family plugs in through Stepper (stepper.go): it runs the prompt once
// and then one token per step, holding its own typed cache in a State. The
// loop never looks at the family. Logits come back to Go once per step and
// every processor is a plain function on one row's scores, so each can be
// tested on a handful of numbers.
package generate
