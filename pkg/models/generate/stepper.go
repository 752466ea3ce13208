package generate

import (
	"context"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Stepper is a model family's side of generation. Ids cross the interface
// as Go rows; the family turns them into tensors on its device.
//
// Rows are already expanded for beams and return sequences (prompt row b
// becomes rows b·R … b·R+R-1, as HF's repeat_interleave does).
type Stepper interface {
	// Prepare runs the prompt ids and mask [N][T] (1 token, 0 pad; left
	// padded for decoder-only models) and returns the state and the logits
	// of the first new token.
	Prepare(ctx context.Context, ids, mask [][]int64) (Prepared, error)
	// Step feeds the tokens just chosen, next [N], and returns the logits
	// [N, V] of the token after them.
	Step(ctx context.Context, st State, next []int64) (*tensor.Tensor, error)
}

// GreedyStepper is a Stepper that can make greedy search's choice itself.
// Greedy search without processors keeps each row's largest logit only,
// which a model may find without computing every logit (GPT-2 and T5: an
// int8 screen of the LM head, then the few logits it cannot rule out;
// heads.Greedy).
type GreedyStepper interface {
	Stepper
	// StepGreedy is Step choosing each row's next token: it returns the
	// ids argmax over Step's logits would give (the lowest on ties), or,
	// when it cannot choose so, those logits as Step returns them (ids
	// nil). What it prepares for choosing lives in st.
	StepGreedy(ctx context.Context, st State, next []int64) (ids []int64, logits *tensor.Tensor, err error)
}

// Prepared is what Prepare returns. The loop owns Logits and State.
type Prepared struct {
	State  State
	Logits *tensor.Tensor // [N, V] for the first new token
	// Prefix is what every output row starts with and what the processors
	// see before the new tokens (HF's input_ids): the prompt for
	// decoder-only models, [decoder_start_token_id] for encoder-decoders.
	Prefix [][]int64
	// PrefixMask is Prefix's attention mask (1 token, 0 pad).
	PrefixMask [][]int64
}

// State is a family's decoding state (its typed cache and whatever it
// tracks per row: masks, positions, encoder outputs).
type State interface {
	// Reorder keeps rows idx [N] (beam search: row i continues row idx[i]).
	Reorder(idx []int64) error
	// Close frees the state's tensors.
	Close()
}

// Reserver is a State whose cache can make room up front: Generate tells
// it how many more tokens it may feed, so the cache is allocated once for
// the whole run (HF's StaticCache) instead of regrown as it fills.
type Reserver interface {
	Reserve(tokens int)
}
