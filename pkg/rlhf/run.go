package rlhf

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/train"
)

// Env is what a run takes from the command line besides its config.
type Env struct {
	Device    gotch.Device
	Resume    bool // continue cfg.OutputDir from its newest checkpoint
	Overwrite bool // delete a non-empty output directory first
	Progress  io.Writer
	Log       io.Writer // data statistics and generation samples; nil discards
	// Dist is the data-parallel job this process belongs to (nil: none).
	// Rank 0 writes the run directory; every rank reads it on --resume.
	Dist *dist.Group
}

func (e Env) logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format, args...)
	}
}

// start prepares the output directory and, when resuming, returns the
// checkpoint to continue and points src at it. It refuses a checkpoint
// written by another stage before any weights are read. Under data
// parallelism rank 0 prepares the directory while the others wait.
func start(env Env, tc train.Config, stage string, src *Source, cfg any) (ckpt string, err error) {
	if env.Dist.Main() {
		if err := train.PrepareOutputDir(tc.OutputDir, env.Resume, env.Overwrite); err != nil {
			return "", err
		}
	}
	if err := env.Dist.Barrier(); err != nil {
		return "", err
	}
	if env.Resume {
		if ckpt, err = train.LatestCheckpoint(tc.OutputDir); err != nil {
			return "", fmt.Errorf("--resume: %w", err)
		}
		st, err := train.ReadState(ckpt)
		if err != nil {
			return "", err
		}
		if kind, _, _ := strings.Cut(st.Stage, " "); kind != stage {
			return "", fmt.Errorf("--resume %s: checkpoint %s was written by stage %q, not %s", tc.OutputDir, ckpt, st.Stage, stage)
		}
		*src = Source{Init: ckpt, ModelType: src.ModelType}
	}
	if !env.Dist.Main() {
		return ckpt, nil
	}
	return ckpt, writeConfig(tc.OutputDir, cfg)
}

// sampler is the training sampler of a stage: shuffled, seeded, and
// sharded over the data-parallel ranks (tc.BatchSize per rank).
func (e Env) sampler(tc train.Config) data.Sampler {
	return data.Sampler{BatchSize: tc.BatchSize, Shuffle: true, Seed: uint64(tc.Seed), Rank: e.Dist.Rank(), World: e.Dist.World()}
}

// loop runs stage over d with the shared training loop.
func loop[B any](ctx context.Context, env Env, tc train.Config, ckpt string, stage train.Stage[B], d train.Data[B]) (train.State, error) {
	l, err := train.New(tc, stage, d)
	if err != nil {
		return train.State{}, err
	}
	defer l.Close()
	l.WithGroup(env.Dist)
	if ckpt != "" {
		if err := l.Resume(ckpt); err != nil {
			return train.State{}, err
		}
		env.logf("resuming from %s (step %d)\n", ckpt, l.State().Step)
	}
	l.Progress = env.Progress
	return l.Run(ctx)
}

// loadTokenizer reads a tokenizer directory (tokenizer.Load), or a single
// file: a tokenizer.json, or a WordPiece vocabulary such as
// bert-base-chinese-vocab.txt.
func loadTokenizer(path string) (tokenizer.Tokenizer, error) {
	var tok *tokenizer.Pipeline
	st, err := os.Stat(path)
	switch {
	case err != nil:
	case st.IsDir():
		tok, err = tokenizer.Load(path)
	case strings.HasSuffix(path, ".json"):
		tok, err = tokenizer.FromTokenizerJSON(path)
	default:
		tok, err = tokenizer.NewBert(path, tokenizer.DefaultBertOptions())
	}
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return tok, nil
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
	return data.Options{Format: f, Fields: fm, SkipBad: d.SkipBad}, nil
}

// splitEval returns the train and eval examples: eval from d.EvalPath
// through read, else a seeded group-aware split of the training file.
func splitEval[T data.Grouped](d DataConfig, seed int64, read func(path string) ([]T, error)) (tr, ev []T, err error) {
	if tr, err = read(d.Path); err != nil {
		return nil, nil, err
	}
	switch {
	case d.EvalPath != "":
		ev, err = read(d.EvalPath)
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
