package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
)

// truncationSide is which end of a prompt loses tokens when it is too long
// (HF tokenizers' truncation_side). It is a pflag.Value, so a bad
// --truncation-side is refused while flags are parsed.
type truncationSide string

const (
	truncateLeft  truncationSide = "left"  // keep the end of the prompt
	truncateRight truncationSide = "right" // keep the start of the prompt
)

// Validate accepts left, right and "" (the model's default).
func (s truncationSide) Validate() error {
	switch s {
	case "", truncateLeft, truncateRight:
		return nil
	}
	return fmt.Errorf("truncation_side %q: want left or right", string(s))
}

// promptLimit is how many tokens a prompt keeps, template specials
// included, and which end loses the rest; max 0 means no limit.
type promptLimit struct {
	max  int
	side truncationSide
}

// modelPositions is the family's absolute-position limit (0 = none), the
// config field holding it, and the default truncation side: the left for
// decoder-only models, whose next token continues the prompt's end (as
// chat UIs cut history); the right for encoders (BERT UniLM's source
// segment) and encoder-decoders, as HF tokenizers truncate by default.
// T5's positions are relative, so nothing limits its prompts.
func modelPositions(config any) (n int, field string, side truncationSide) {
	switch c := config.(type) {
	case *gpt2.Config:
		return int(c.NPositions), "n_positions", truncateLeft
	case *bert.Config:
		return int(c.MaxPositionEmbeddings), "max_position_embeddings", truncateRight
	}
	return 0, "", truncateRight
}

// newPromptLimit checks the length flags against the model before anything
// is generated, naming the flag at fault, and resolves the defaults:
// --max-prompt-length 0 means n_positions − max_new_tokens for models with
// absolute positions and no limit otherwise.
func newPromptLimit(config any, c generate.Config, maxPrompt int, side truncationSide) (promptLimit, error) {
	n, field, def := modelPositions(config)
	if side == "" {
		side = def
	}
	if maxPrompt < 0 {
		return promptLimit{}, fmt.Errorf("--max-prompt-length %d: want ≥ 0 (0 = as many tokens as fit)", maxPrompt)
	}
	if c.MaxNewTokens == 0 { // a checkpoint's max_length bounds prompt and new tokens together
		return lengthLimit(n, field, c, maxPrompt, side)
	}
	switch {
	case n > 0 && c.MaxNewTokens >= n:
		return promptLimit{}, fmt.Errorf("--max-new-tokens %d leaves no position for the prompt: the model has %s %d", c.MaxNewTokens, field, n)
	case n > 0 && c.MinNewTokens >= n:
		return promptLimit{}, fmt.Errorf("--min-new-tokens %d can never be reached: the model has %s %d", c.MinNewTokens, field, n)
	case c.MinNewTokens > c.MaxNewTokens:
		return promptLimit{}, fmt.Errorf("--min-new-tokens %d > --max-new-tokens %d: generation stops at --max-new-tokens", c.MinNewTokens, c.MaxNewTokens)
	case n > 0 && maxPrompt > n-c.MaxNewTokens:
		return promptLimit{}, fmt.Errorf("--max-prompt-length %d + --max-new-tokens %d exceed the model's %s %d", maxPrompt, c.MaxNewTokens, field, n)
	case n > 0 && maxPrompt == 0:
		maxPrompt = n - c.MaxNewTokens
	}
	return promptLimit{max: maxPrompt, side: side}, nil
}

// lengthLimit is newPromptLimit under a checkpoint's max_length, which
// counts the prompt: the rows must fit the positions, and by default a
// prompt is cut to leave room for one new token (HF would refuse it).
func lengthLimit(n int, field string, c generate.Config, maxPrompt int, side truncationSide) (promptLimit, error) {
	if n == 0 { // T5: max_length counts decoder tokens only
		return promptLimit{max: maxPrompt, side: side}, nil
	}
	switch {
	case c.MaxLength > n:
		return promptLimit{}, fmt.Errorf("the checkpoint's max_length %d exceeds the model's %s %d: give --max-new-tokens", c.MaxLength, field, n)
	case maxPrompt >= c.MaxLength:
		return promptLimit{}, fmt.Errorf("--max-prompt-length %d leaves no new token under the checkpoint's max_length %d, which counts the prompt: give --max-new-tokens", maxPrompt, c.MaxLength)
	case maxPrompt == 0:
		maxPrompt = c.MaxLength - 1
	}
	return promptLimit{max: maxPrompt, side: side}, nil
}

// promptEncoder tokenizes prompts into a promptLimit. Like HF tokenizers
// with truncation=True, it cuts the text's tokens and keeps the template's
// special tokens ([CLS] … [SEP]) whole.
type promptEncoder struct {
	tk        tokenizer.Tokenizer
	pre, post []int64 // the template's specials around a single text
	limit     promptLimit
}

func newPromptEncoder(tk tokenizer.Tokenizer, special bool, limit promptLimit) (*promptEncoder, error) {
	e := &promptEncoder{tk: tk, limit: limit}
	if special { // find the specials by wrapping a probe text
		bare, err := tk.Encode("a", false)
		if err != nil {
			return nil, err
		}
		full, err := tk.Encode("a", true)
		if err != nil {
			return nil, err
		}
		i := indexOf(full.IDs, bare.IDs)
		if i < 0 || len(bare.IDs) == 0 {
			return nil, fmt.Errorf("tokenizer: cannot find the text inside its special-token template %v", full.Tokens)
		}
		e.pre, e.post = full.IDs[:i], full.IDs[i+len(bare.IDs):]
	}
	if limit.max > 0 && limit.max <= len(e.pre)+len(e.post) {
		return nil, fmt.Errorf("--max-prompt-length %d leaves no token for the text beside the template's %d special tokens", limit.max, len(e.pre)+len(e.post))
	}
	return e, nil
}

// encode returns the prompt's ids and whether they were cut.
func (e *promptEncoder) encode(text string) ([]int64, bool, error) {
	enc, err := e.tk.Encode(text, false)
	if err != nil {
		return nil, false, err
	}
	body, cut := enc.IDs, false
	if room := e.limit.max - len(e.pre) - len(e.post); e.limit.max > 0 && len(body) > room {
		cut = true
		if e.limit.side == truncateLeft {
			body = body[len(body)-room:]
		} else {
			body = body[:room]
		}
	}
	return slices.Concat(e.pre, body, e.post), cut, nil
}

func indexOf(s, sub []int64) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// tokenizePrompts tokenizes every prompt before anything is generated and
// says on w how many were cut (always for --input, else when any was).
func tokenizePrompts(w io.Writer, tk tokenizer.Tokenizer, special bool, limit promptLimit, recs []promptRecord) ([][]int64, error) {
	e, err := newPromptEncoder(tk, special, limit)
	if err != nil {
		return nil, err
	}
	ids, cut, fromFile := make([][]int64, len(recs)), 0, false
	for i, r := range recs {
		where := fmt.Sprintf("--prompt %d", i+1)
		if r.Pos.File != "" {
			where, fromFile = r.Pos.String(), true
		}
		row, wasCut, err := e.encode(r.Text)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: %w", where, err)
		case len(row) == 0:
			return nil, fmt.Errorf("%s: the prompt is empty after tokenization", where)
		case wasCut:
			cut++
		}
		ids[i] = row
	}
	if limit.max > 0 && (cut > 0 || fromFile) {
		fmt.Fprintf(w, "generate: %d of %d prompts were longer than %d tokens and lost their %s end (--max-prompt-length, --truncation-side)\n",
			cut, len(recs), limit.max, limit.side)
	}
	return ids, nil
}
