package t5

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// Config is Hugging Face's T5Config (and MT5Config) as read from
// config.json; field names are the JSON keys.
type Config struct {
	ModelType           string  `json:"model_type"`
	VocabSize           int64   `json:"vocab_size"`
	DModel              int64   `json:"d_model"`
	DKV                 int64   `json:"d_kv"`
	DFF                 int64   `json:"d_ff"`
	NumLayers           int64   `json:"num_layers"`
	NumDecoderLayers    *int64  `json:"num_decoder_layers,omitempty"` // nil = NumLayers
	NumHeads            int64   `json:"num_heads"`
	RelativeBuckets     int64   `json:"relative_attention_num_buckets"`
	RelativeMaxDistance int64   `json:"relative_attention_max_distance"`
	DropoutRate         float64 `json:"dropout_rate"`
	LayerNormEpsilon    float64 `json:"layer_norm_epsilon"`
	InitializerFactor   float64 `json:"initializer_factor"`
	FeedForwardProj     string  `json:"feed_forward_proj"`             // "relu", "gated-gelu", "gated-<act>"
	DenseActFn          *string `json:"dense_act_fn,omitempty"`        // nil = from feed_forward_proj (see Activation)
	IsGatedAct          *bool   `json:"is_gated_act,omitempty"`        // nil = from feed_forward_proj
	TieWordEmbeddings   *bool   `json:"tie_word_embeddings,omitempty"` // nil = true
	PadTokenID          int64   `json:"pad_token_id"`
	EOSTokenID          int64   `json:"eos_token_id"`
	DecoderStartTokenID *int64  `json:"decoder_start_token_id,omitempty"` // nil = PadTokenID
	// TieEncoderDecoder (the decoder sharing the encoder's weights) and
	// PrunedHeads change what the model holds; both are refused (Validate).
	TieEncoderDecoder bool               `json:"tie_encoder_decoder,omitempty"`
	PrunedHeads       map[string][]int64 `json:"pruned_heads,omitempty"`
}

// DefaultConfig is t5-small: T5Config()'s defaults.
func DefaultConfig() Config {
	return Config{
		ModelType: "t5", VocabSize: 32128, DModel: 512, DKV: 64, DFF: 2048, NumLayers: 6,
		NumHeads: 8, RelativeBuckets: 32, RelativeMaxDistance: 128, DropoutRate: 0.1,
		LayerNormEpsilon: 1e-6, InitializerFactor: 1, FeedForwardProj: "relu",
		PadTokenID: 0, EOSTokenID: 1,
	}
}

// DefaultMT5Config is mt5-small: MT5Config()'s defaults (T5 v1.1 layout).
func DefaultMT5Config() Config {
	c := DefaultConfig()
	untied := false
	c.ModelType, c.VocabSize, c.DFF, c.NumLayers, c.NumHeads = "mt5", 250112, 1024, 8, 6
	c.FeedForwardProj, c.TieWordEmbeddings = "gated-gelu", &untied
	return c
}

// ReadConfig reads a config.json file (see ParseConfig).
func ReadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("t5 config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("t5 config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes config.json over DefaultConfig and validates it.
// model_type must be t5 or mt5 (mT5 is T5 v1.1: gated-gelu, untied).
func ParseConfig(data []byte) (Config, error) {
	var head struct {
		ModelType string `json:"model_type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Config{}, err
	}
	c := DefaultConfig()
	if head.ModelType == "mt5" {
		c = DefaultMT5Config()
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, err
	}
	null, err := models.NullKeys(data)
	if err != nil {
		return Config{}, err
	}
	if null["tie_word_embeddings"] { // HF tests these flags for truth
		c.TieWordEmbeddings = new(bool)
	}
	if null["is_gated_act"] {
		c.IsGatedAct = new(bool)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate reports the first field that cannot describe a T5 model.
func (c Config) Validate() error {
	if c.ModelType != "t5" && c.ModelType != "mt5" {
		return fmt.Errorf("field %q: %q, want t5 or mt5", "model_type", c.ModelType)
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"vocab_size", c.VocabSize}, {"d_model", c.DModel}, {"d_kv", c.DKV}, {"d_ff", c.DFF},
		{"num_layers", c.NumLayers}, {"num_decoder_layers", c.DecoderLayers()}, {"num_heads", c.NumHeads},
		{"relative_attention_num_buckets", c.RelativeBuckets},
	}
	for _, f := range positive {
		if f.v <= 0 {
			return fmt.Errorf("field %q: must be positive, got %d", f.name, f.v)
		}
	}
	if c.RelativeMaxDistance <= c.RelativeBuckets/2 {
		// the log buckets start at max_exact = buckets/4 (decoder: /2) and
		// divide by log(max_distance / max_exact)
		return fmt.Errorf("field %q: %d must exceed relative_attention_num_buckets/2 = %d",
			"relative_attention_max_distance", c.RelativeMaxDistance, c.RelativeBuckets/2)
	}
	if c.DropoutRate < 0 || c.DropoutRate >= 1 {
		return fmt.Errorf("field %q: %g not in [0, 1)", "dropout_rate", c.DropoutRate)
	}
	if c.LayerNormEpsilon <= 0 {
		return fmt.Errorf("field %q: must be positive, got %g", "layer_norm_epsilon", c.LayerNormEpsilon)
	}
	act, _, err := c.Activation()
	if err != nil {
		return err
	}
	if _, err := layers.NewActivation(act); err != nil {
		field := "feed_forward_proj"
		if c.DenseActFn != nil {
			field = "dense_act_fn"
		}
		return fmt.Errorf("field %q: %w", field, err)
	}
	if c.TieEncoderDecoder {
		return fmt.Errorf("field %q: true is not supported (decoder weights tied to the encoder's)", "tie_encoder_decoder")
	}
	if len(c.PrunedHeads) > 0 {
		return fmt.Errorf("field %q: %v: checkpoints with pruned heads are not supported", "pruned_heads", c.PrunedHeads)
	}
	for name, id := range map[string]int64{
		"pad_token_id": c.PadTokenID, "eos_token_id": c.EOSTokenID, "decoder_start_token_id": c.DecoderStart(),
	} {
		if id < 0 || id >= c.VocabSize {
			return fmt.Errorf("field %q: %d outside the vocabulary of %d", name, id, c.VocabSize)
		}
	}
	return nil
}

// Activation is the feed-forward's activation and whether it is gated, as
// T5Config resolves them: feed_forward_proj "gated-gelu" is gated with
// gelu_new, "gated-X" gated with X, "X" plain; then dense_act_fn and
// is_gated_act, when config.json has them, win (T5Config derives the two
// from feed_forward_proj, then PretrainedConfig sets the file's keys over
// them, and the model reads only the two).
func (c Config) Activation() (act string, gated bool, err error) {
	act, gated, err = c.projection()
	if err != nil {
		return "", false, err
	}
	if c.DenseActFn != nil {
		act = *c.DenseActFn
	}
	if c.IsGatedAct != nil {
		gated = *c.IsGatedAct
	}
	return act, gated, nil
}

// projection parses feed_forward_proj alone.
func (c Config) projection() (act string, gated bool, err error) {
	act, gated = c.FeedForwardProj, false
	if rest, ok := strings.CutPrefix(act, "gated-"); ok {
		act, gated = rest, true
	}
	if act == "" || strings.Contains(act, "-") {
		return "", false, fmt.Errorf("field %q: %q, want ACT or gated-ACT", "feed_forward_proj", c.FeedForwardProj)
	}
	if act == "gelu" && gated {
		act = "gelu_new" // T5Config: "gated-gelu" means gelu_new for backwards compatibility
	}
	return act, gated, nil
}

// Inner is the attention width num_heads·d_kv (≠ d_model in mT5).
func (c Config) Inner() int64 { return c.NumHeads * c.DKV }

// DecoderLayers is num_decoder_layers, defaulting to num_layers.
func (c Config) DecoderLayers() int64 {
	if c.NumDecoderLayers != nil {
		return *c.NumDecoderLayers
	}
	return c.NumLayers
}

// Tied reports whether lm_head is the shared embedding (T5 v1.0), which
// also scales the decoder output by d_model^-0.5.
func (c Config) Tied() bool { return c.TieWordEmbeddings == nil || *c.TieWordEmbeddings }

// DecoderStart is the first decoder token (decoder_start_token_id, else pad).
func (c Config) DecoderStart() int64 {
	if c.DecoderStartTokenID != nil {
		return *c.DecoderStartTokenID
	}
	return c.PadTokenID
}
