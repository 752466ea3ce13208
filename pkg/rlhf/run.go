package rlhf

import (
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/train"
)

// start prepares the output directory (train.Start) and, when resuming,
// points src at the checkpoint to continue. A PEFT run keeps src (its
// base model): the checkpoint holds the adapter, which applyPEFT reads.
func start(env train.Env, tc train.Config, stage string, src *models.Source, peft PEFTConfig, cfg any) (ckpt string, err error) {
	ckpt, err = train.Start(env, tc.OutputDir, stage, cfg)
	if err != nil {
		return "", err
	}
	if ckpt != "" && !peft.UsePEFT {
		*src = models.Source{Init: ckpt, ModelType: src.ModelType}
	}
	return ckpt, nil
}

// shuffled is the training sampler of a stage: shuffled, seeded, and
// sharded over the data-parallel ranks (tc.BatchSize per rank).
func shuffled(env train.Env, tc train.Config) data.Sampler {
	return data.Sampler{BatchSize: tc.BatchSize, Shuffle: true, Seed: uint64(tc.Seed), Rank: env.Dist.Rank(), World: env.Dist.World()}
}

// readOptions turns the data config into pkg/data's read options.
func readOptions(d DataConfig) (data.Options, error) {
	fm, err := data.ParseFieldMap(d.Fields)
	if err != nil {
		return data.Options{}, err
	}
	f, err := data.ParseFormat(d.Format)
	if err != nil {
		return data.Options{}, err
	}
	// Conversational records (messages, prompt/completion turns) render
	// with the tokenizer's chat template, else a built-in ChatML one.
	chat, err := data.LoadChatTemplate(d.Tokenizer)
	if err != nil {
		return data.Options{}, err
	}
	return data.Options{Format: f, Fields: fm, SkipBad: d.SkipBad, Chat: chat}, nil
}

// splitEval returns the train and eval examples: eval from d.EvalPath
// through read, else a seeded group-aware split of the training file.
func splitEval[T data.Grouped](d DataConfig, seed int64, read func(path string) ([]T, error)) (tr, ev []T, err error) {
	readAll := func(paths []string) ([]T, error) {
		var out []T
		for _, p := range paths {
			xs, err := read(p)
			if err != nil {
				return nil, err
			}
			out = append(out, xs...)
		}
		return out, nil
	}
	if tr, err = readAll(d.Path); err != nil {
		return nil, nil, err
	}
	switch {
	case len(d.EvalPath) > 0:
		ev, err = readAll(d.EvalPath)
	case d.EvalFraction > 0:
		tr, ev, err = data.Split(tr, data.SplitOptions{Seed: uint64(seed), Fraction: d.EvalFraction})
	}
	if d.MaxEval > 0 && len(ev) > d.MaxEval {
		ev = ev[:d.MaxEval]
	}
	return tr, ev, err
}

// batches collates xs into consecutive batches of size n (evaluation).
func batches(xs []data.Encoded, n int, c data.Collator) ([]data.Batch, error) {
	var out []data.Batch
	for i := 0; i < len(xs); i += n {
		b, err := c.Collate(xs[i:min(i+n, len(xs))])
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// tokens counts a batch's non-padding tokens.
func tokens(b data.Batch) int {
	n := 0
	for _, l := range b.Lens {
		n += l
	}
	return n
}

// readSplit reads a stage's data files with read, logging what each gave,
// and holds out the eval side (splitEval).
func readSplit[T data.Grouped](env train.Env, d DataConfig, seed int64, read func(string, data.Options) ([]T, data.Stats, error)) (tr, ev []T, err error) {
	opt, err := readOptions(d)
	if err != nil {
		return nil, nil, err
	}
	return splitEval(d, seed, func(p string) ([]T, error) {
		xs, st, err := read(p, opt)
		env.Logf("read %s: %s\n", p, st)
		return xs, err
	})
}

// openTokenizer opens a stage's tokenizer and logs what its loader warned
// about (a token repeated in vocab.txt, say): the file still loads, as in HF.
func openTokenizer(env train.Env, path string) (tokenizer.Tokenizer, error) {
	tok, err := tokenizer.Open(path)
	if err != nil {
		return nil, err
	}
	for _, w := range tok.Warnings() {
		env.Logf("tokenizer: warning: %s\n", w)
	}
	return tok, nil
}
