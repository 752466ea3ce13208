package train

import (
	"context"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Stage is what a trainer supplies to the loop: the model's store, the loss
// of one batch and how to save the model. Everything else (optimizer,
// schedule, accumulation, clipping, evaluation, checkpoints, logging) is
// the loop's. B is the stage's batch type.
type Stage[B any] interface {
	// Name identifies the stage and model in checkpoints, so --resume
	// refuses a run written by another stage or architecture ("sft gpt2").
	Name() string
	// Store holds the trainable parameters; the loop optimizes Trainable().
	Store() *nn.Store
	// Loss runs the model in train mode on b and returns the scalar loss
	// (the caller frees it) and batch statistics such as "accuracy".
	Loss(b B) (loss *tensor.Tensor, stats map[string]float64, err error)
	// Tokens counts b's non-padding tokens, for tokens/s.
	Tokens(b B) int
	// Save writes the model in Hugging Face layout (config.json +
	// model.safetensors) into dir.
	Save(dir string) error
}

// Evaluator is implemented by stages that have an eval set. Eval runs
// without gradients and returns metrics without the "eval/" prefix.
type Evaluator interface {
	Eval(ctx context.Context) (map[string]float64, error)
	// EvalKeys names the metrics Eval reports ("loss", "accuracy", …).
	EvalKeys() []string
}

// Data hands out batches in a resumable order; *data.Loader is one.
type Data[B any] interface {
	Next(c data.Cursor) (B, data.Cursor, error)
	Batches() int
}

var _ Data[data.Batch] = (*data.Loader)(nil)
