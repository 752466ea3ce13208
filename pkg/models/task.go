package models

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
)

// Task says what a caller wants a checkpoint to be, whatever its family,
// as transformers' Auto classes do (AutoModelForCausalLM, …). Each family
// maps a task to one of its architectures; the caller then works through
// the LM or Classifier interface and never names the family.
type Task string

const (
	// TaskLM is the family's own language model: GPT2LMHeadModel,
	// BertForMaskedLM (also UniLM generation), T5ForConditionalGeneration.
	TaskLM Task = "lm"
	// TaskClassifier is AutoModelForSequenceClassification, with the
	// config's num_labels.
	TaskClassifier Task = "classifier"
	// TaskReward scores a sequence with one number, as `gotrl rm` trains
	// it: GPT2ForSequenceClassification with one label, or a BertModel with
	// TRL's value head (v_head.summary) on [CLS].
	TaskReward Task = "reward"
)

// Validate accepts the tasks above and "" (the config's first
// architecture, else the family's default).
func (t Task) Validate() error {
	switch t {
	case "", TaskLM, TaskClassifier, TaskReward:
		return nil
	}
	return fmt.Errorf("task %q: want %s, %s or %s", t, TaskLM, TaskClassifier, TaskReward)
}

// LMKind is how a language model predicts tokens; it picks the
// pretraining objective and how SFT lays out a prompt and its response.
type LMKind string

const (
	Causal  LMKind = "causal"  // next token (GPT-2)
	Masked  LMKind = "masked"  // masked tokens, bidirectional (BERT)
	Seq2Seq LMKind = "seq2seq" // decoder tokens given the encoder's input (T5)
)

// Input is a padded batch as HF's forward names it: int64 ids and masks
// (1 = token) of shape [B, T].
type Input struct {
	IDs, Mask *tensor.Tensor
	// TypeIDs are BERT's segment ids (nil: all 0; others ignore them).
	TypeIDs *tensor.Tensor
	// DecoderIDs and DecoderMask [B, T'] are an encoder-decoder's decoder
	// input; a decoder-only or encoder model ignores them.
	DecoderIDs, DecoderMask *tensor.Tensor
	// SkipLogits returns hidden states only (value heads, classifiers).
	SkipLogits bool
	// LogitsFrom runs the LM head only from this position of the scored
	// sequence on: Logits are then [B, T-LogitsFrom, V] (PPO scores only
	// the response). A model may ignore it and return all T positions
	// (the caller reads which from the logits' shape).
	LogitsFrom int64
	// LogitsTo, when positive, ends that window before this position:
	// Logits are then [B, LogitsTo-LogitsFrom, V]. A causal LM's loss has
	// no label for the last position, so its head need not score it, nor
	// the loss copy the logits to drop it. A model may ignore it too.
	LogitsTo int64
}

// Output is a forward pass's result; the caller frees it with Close.
type Output struct {
	// Logits [B, T, V] (or the window LogitsFrom..LogitsTo) over the scored
	// sequence: the input for decoder-only and encoder models, the decoder
	// input for encoder-decoders. nil with SkipLogits.
	Logits *tensor.Tensor
	// Hidden [B, T, C] is the last hidden state of the scored sequence
	// (after the final norm).
	Hidden *tensor.Tensor
}

// Close frees both tensors.
func (o *Output) Close() {
	tensor.Free(o.Logits, o.Hidden)
	o.Logits, o.Hidden = nil, nil
}

// LM is a language model of any family (TaskLM).
type LM interface {
	Model
	Kind() LMKind
	// Forward scores one batch; it recovers its own panics into err.
	Forward(in Input, train bool) (Output, error)
	// Stepper drives generation (pkg/models/generate).
	Stepper() generate.Stepper
	// Dims are the vocabulary size, the hidden size and the longest
	// input the position embeddings allow (0: no limit, as T5's relative
	// positions).
	Dims() Dims
	// Tokens are the ids the model's config names (-1 when absent).
	Tokens() Tokens
}

// Classifier is a sequence classifier of any family (TaskClassifier and
// TaskReward, a one-label classifier).
type Classifier interface {
	Model
	// Classify returns the logits [B, NumLabels] of each row: at the last
	// non-pad token for decoders (HF's GPT2ForSequenceClassification,
	// which needs pad_token_id in batches), at [CLS] for encoders.
	Classify(in Input, train bool) (*tensor.Tensor, error)
	NumLabels() int
	Dims() Dims
}

// Dims are a model's sizes. MaxPositions is the longest input it embeds:
// max_position_embeddings, less pad_token_id + 1 for RoBERTa, whose
// positions start there.
type Dims struct {
	Vocab, Hidden, MaxPositions int64
}

// Tokens are the special ids a config.json names; -1 when absent.
type Tokens struct {
	BOS, EOS, Pad, DecoderStart int64
}

// Saver is a model that writes itself in HF layout (config.json with
// model_type and architectures, model.safetensors), so transformers'
// from_pretrained and Load read it back.
type Saver interface {
	Save(dir string) error
}
