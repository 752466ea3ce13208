package generate

import (
	"encoding/json"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Config holds generate()'s arguments with HF GenerationConfig's names and
// meanings (JSON/YAML keys are HF's).
type Config struct {
	// MaxNewTokens bounds the new tokens; 0 leaves the bound to MaxLength.
	MaxNewTokens int `json:"max_new_tokens" yaml:"max_new_tokens"`
	// MaxLength and MinLength are HF's lengths of a whole row: the
	// (left-padded) prompt and the new tokens for decoder-only models,
	// decoder_start_token_id and the new tokens for encoder-decoders. Only
	// a checkpoint's generation defaults set them (checkpoint.go);
	// MaxNewTokens and MinNewTokens, when set, win as in HF. 0 = unset.
	MaxLength    int  `json:"max_length" yaml:"-"`
	MinLength    int  `json:"min_length" yaml:"-"`
	MinNewTokens int  `json:"min_new_tokens" yaml:"min_new_tokens" help:"ban eos until this many new tokens"` // eos banned until this many new tokens
	DoSample     bool `json:"do_sample" yaml:"do_sample" help:"sample instead of greedy or beam search"`
	// Temperature, TopK (0 = off) and TopP (1 = off) warp the scores
	// before sampling, in that order; greedy and beam search ignore them.
	Temperature       float64   `json:"temperature" yaml:"temperature"`
	TopK              int       `json:"top_k" yaml:"top_k"`
	TopP              float64   `json:"top_p" yaml:"top_p"`
	RepetitionPenalty float64   `json:"repetition_penalty" yaml:"repetition_penalty"`
	NoRepeatNgramSize int       `json:"no_repeat_ngram_size" yaml:"no_repeat_ngram_size" help:"forbid repeating n-grams of this size; 0 = off"`
	BadWordsIDs       [][]int64 `json:"bad_words_ids" yaml:"bad_words_ids" flag:"-"`
	NumBeams          int       `json:"num_beams" yaml:"num_beams" help:"beam search width; 1 = greedy"`
	LengthPenalty     float64   `json:"length_penalty" yaml:"length_penalty" min:"none" help:"beam score = sum of log-probs / length^p"`
	// EarlyStopping: true stops a prompt's beam search once num_beams
	// hypotheses are finished; false uses HF's cur_len heuristic.
	EarlyStopping      bool   `json:"early_stopping" yaml:"early_stopping" help:"stop a prompt's beam search once num_beams hypotheses are finished"`
	NumReturnSequences int    `json:"num_return_sequences" yaml:"num_return_sequences" help:"sequences returned per prompt"`
	EOSTokenID         IDs    `json:"eos_token_id" yaml:"eos_token_id" help:"stop ids (default: the checkpoint's generation_config.json, else config.json, else the tokenizer's eos or [SEP])"`                         // one or several; empty = never stop early
	PadTokenID         *int64 `json:"pad_token_id" yaml:"pad_token_id" help:"padding id (default: the checkpoint's generation_config.json, else eos; without that file config.json's, else the tokenizer's, else eos)"` // nil → eos_token_id[0], as HF does
	Seed               int64  `json:"seed" yaml:"seed" flag:"-" min:"none"`                                                                                                                                             // sampling's random stream
	// OutputScores is HF's output_scores for code: greedy search and
	// sampling fill Output.LogProbs. A generation config's output_scores
	// is ignored, as HF's generate() returns only ids unless told.
	OutputScores bool `json:"-" yaml:"-" flag:"-"`
}

// Default is HF GenerationConfig's defaults (top_k 50 like HF; it only
// acts when sampling) with 20 new tokens.
func Default() Config {
	return Config{
		MaxNewTokens: 20, Temperature: 1, TopK: 50, TopP: 1, RepetitionPenalty: 1,
		NumBeams: 1, LengthPenalty: 1, NumReturnSequences: 1,
	}
}

// Validate reports every setting generate cannot honour.
// CheckIDs refuses an eos_token_id or pad_token_id outside a model's
// vocabulary of vocab ids, naming the field: an eos the model cannot emit
// never stops generation (a GPT-2 config's 50256 on a 21,128-token
// vocabulary ran every output to max_new_tokens), a pad it cannot embed
// fails in the forward.
func (c Config) CheckIDs(vocab int64) error {
	if vocab <= 0 {
		return nil
	}
	for _, id := range c.EOSTokenID {
		if id < 0 || id >= vocab {
			return fmt.Errorf("eos_token_id %d is outside the model's vocabulary (vocab_size %d): generation would never stop; fix the model's generation_config.json or config.json, or give --eos-token-id", id, vocab)
		}
	}
	if p := c.PadTokenID; p != nil && (*p < 0 || *p >= vocab) {
		return fmt.Errorf("pad_token_id %d is outside the model's vocabulary (vocab_size %d): fix the model's generation_config.json or config.json, or give --pad-token-id", *p, vocab)
	}
	return nil
}

func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case c.MaxNewTokens < 0 || (c.MaxNewTokens == 0 && c.MaxLength == 0):
		bad("max_new_tokens %d: want ≥ 1", c.MaxNewTokens)
	case c.MaxLength < 0:
		bad("max_length %d: want ≥ 1", c.MaxLength)
	}
	if c.MinLength < 0 {
		bad("min_length %d: want ≥ 0", c.MinLength)
	}
	if c.MinNewTokens < 0 {
		bad("min_new_tokens %d: want ≥ 0", c.MinNewTokens)
	}
	if c.Temperature < 0 || (c.DoSample && c.Temperature == 0) {
		bad("temperature %g: want > 0", c.Temperature)
	}
	if c.TopK < 0 {
		bad("top_k %d: want ≥ 0 (0 = off)", c.TopK)
	}
	if c.TopP <= 0 || c.TopP > 1 {
		bad("top_p %g: want in (0, 1]", c.TopP)
	}
	if c.RepetitionPenalty <= 0 {
		bad("repetition_penalty %g: want > 0 (1 = off)", c.RepetitionPenalty)
	}
	if c.NoRepeatNgramSize < 0 {
		bad("no_repeat_ngram_size %d: want ≥ 0", c.NoRepeatNgramSize)
	}
	if c.NumBeams < 1 {
		bad("num_beams %d: want ≥ 1", c.NumBeams)
	}
	if c.NumReturnSequences < 1 {
		bad("num_return_sequences %d: want ≥ 1", c.NumReturnSequences)
	}
	if !c.DoSample && c.NumReturnSequences > c.NumBeams {
		bad("num_return_sequences %d > num_beams %d: without sampling the extra sequences would repeat", c.NumReturnSequences, c.NumBeams)
	}
	if c.DoSample && c.NumBeams > 1 {
		bad("do_sample with num_beams %d: beam sampling is not supported", c.NumBeams)
	}
	for i, w := range c.BadWordsIDs {
		if len(w) == 0 {
			bad("bad_words_ids[%d] is empty", i)
		}
		for j, id := range w {
			if id < 0 {
				bad("bad_words_ids[%d][%d] = %d: want ≥ 0", i, j, id)
			}
		}
	}
	for i, id := range c.EOSTokenID {
		if id < 0 {
			bad("eos_token_id[%d] = %d: want ≥ 0", i, id)
		}
	}
	if c.PadTokenID != nil && *c.PadTokenID < 0 {
		bad("pad_token_id %d: want ≥ 0", *c.PadTokenID)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("generate config: %w", err)
	}
	return nil
}

// newTokens is how many tokens may follow a prefix of width ids (HF's
// _prepare_generated_length): max_new_tokens when set, else max_length
// minus the prefix, which HF refuses to leave below one token.
func (c Config) newTokens(width int) (int, error) {
	if c.MaxNewTokens > 0 {
		return c.MaxNewTokens, nil
	}
	if n := c.MaxLength - width; n >= 1 {
		return n, nil
	}
	return 0, fmt.Errorf("generate: rows start with %d ids (the padded prompt, or decoder_start_token_id) and max_length %d counts them, leaving no new token: set max_new_tokens (--max-new-tokens)", width, c.MaxLength)
}

// pad is the id finished rows and short hypotheses are filled with.
func (c Config) pad() int64 {
	switch {
	case c.PadTokenID != nil:
		return *c.PadTokenID
	case len(c.EOSTokenID) > 0:
		return c.EOSTokenID[0]
	}
	return 0
}

func (c Config) isEOS(id int64) bool {
	for _, e := range c.EOSTokenID {
		if e == id {
			return true
		}
	}
	return false
}

// IDs is a list of token ids that HF configs write as one int or a list
// (eos_token_id).
type IDs []int64

// UnmarshalYAML reads an int or a list of ints.
func (ids *IDs) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var one int64
		if err := n.Decode(&one); err != nil {
			return fmt.Errorf("token ids: want an int or a list of ints: %w", err)
		}
		*ids = IDs{one}
		return nil
	}
	var many []int64
	if err := n.Decode(&many); err != nil {
		return fmt.Errorf("token ids: want an int or a list of ints: %w", err)
	}
	*ids = many
	return nil
}

// UnmarshalJSON reads an int, a list of ints or null.
func (ids *IDs) UnmarshalJSON(b []byte) error {
	var one *int64
	if err := json.Unmarshal(b, &one); err == nil {
		*ids = nil
		if one != nil {
			*ids = IDs{*one}
		}
		return nil
	}
	var many []int64
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("token ids: want an int or a list of ints, got %s", b)
	}
	*ids = many
	return nil
}
