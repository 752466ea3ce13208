package gpt2

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// Config is HF's GPT2Config as read from config.json; field names are the
// JSON keys. Fields the Go model does not use (summary_*, n_ctx, …) are
// ignored when read.
type Config struct {
	ModelType          string  `json:"model_type"`
	VocabSize          int64   `json:"vocab_size"`
	NPositions         int64   `json:"n_positions"`
	NEmbd              int64   `json:"n_embd"`
	NLayer             int64   `json:"n_layer"`
	NHead              int64   `json:"n_head"`
	NInner             *int64  `json:"n_inner"` // null → 4·n_embd (see Inner)
	ActivationFunction string  `json:"activation_function"`
	ResidPdrop         float64 `json:"resid_pdrop"`
	EmbdPdrop          float64 `json:"embd_pdrop"`
	AttnPdrop          float64 `json:"attn_pdrop"`
	LayerNormEpsilon   float64 `json:"layer_norm_epsilon"`
	InitializerRange   float64 `json:"initializer_range"`
	ScaleAttnWeights   bool    `json:"scale_attn_weights"`
	// ScaleAttnByInverseLayerIdx divides block i's scores by i+1 as well.
	ScaleAttnByInverseLayerIdx bool `json:"scale_attn_by_inverse_layer_idx"`
	// ReorderAndUpcastAttn only changes fp16 numerics in HF; the math is
	// the same, so it is accepted and ignored.
	ReorderAndUpcastAttn bool              `json:"reorder_and_upcast_attn"`
	TieWordEmbeddings    *bool             `json:"tie_word_embeddings,omitempty"` // absent → true
	BosTokenID           *int64            `json:"bos_token_id"`
	EosTokenID           *int64            `json:"eos_token_id"`
	PadTokenID           *int64            `json:"pad_token_id"`
	ID2Label             map[string]string `json:"id2label"`
	Labels               int64             `json:"num_labels,omitempty"` // see NumLabels
	Architectures        []string          `json:"architectures"`
	// AddCrossAttention and PrunedHeads change the blocks' tensors; both
	// are refused (Validate).
	AddCrossAttention bool               `json:"add_cross_attention,omitempty"`
	PrunedHeads       map[string][]int64 `json:"pruned_heads,omitempty"`
}

// Default is GPT-2 small as HF's GPT2Config() builds it.
func Default() Config {
	bos, eos := int64(50256), int64(50256)
	return Config{
		ModelType: "gpt2", VocabSize: 50257, NPositions: 1024, NEmbd: 768, NLayer: 12, NHead: 12,
		ActivationFunction: "gelu_new", ResidPdrop: 0.1, EmbdPdrop: 0.1, AttnPdrop: 0.1,
		LayerNormEpsilon: 1e-5, InitializerRange: 0.02, ScaleAttnWeights: true,
		BosTokenID: &bos, EosTokenID: &eos,
	}
}

// LoadConfig reads config.json over Default, so absent keys keep HF's
// defaults, and validates it.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("gpt2 config: %w", err)
	}
	return ParseConfig(b, path)
}

// ParseConfig is LoadConfig on bytes; name labels errors.
func ParseConfig(b []byte, name string) (Config, error) {
	c := Default()
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("gpt2 config %s: %w", name, err)
	}
	null, err := models.NullKeys(b)
	if err != nil {
		return Config{}, fmt.Errorf("gpt2 config %s: %w", name, err)
	}
	if null["scale_attn_weights"] { // HF tests these flags for truth
		c.ScaleAttnWeights = false
	}
	if null["tie_word_embeddings"] {
		c.TieWordEmbeddings = new(bool)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("gpt2 config %s: %w", name, err)
	}
	return c, nil
}

// Validate reports the first field that cannot build a model.
func (c Config) Validate() error {
	positive := []struct {
		name string
		v    int64
	}{{"vocab_size", c.VocabSize}, {"n_positions", c.NPositions}, {"n_embd", c.NEmbd}, {"n_layer", c.NLayer}, {"n_head", c.NHead}, {"n_inner", c.Inner()}}
	for _, f := range positive {
		if f.v <= 0 {
			return fmt.Errorf("field %q: %d, want > 0", f.name, f.v)
		}
	}
	if c.NEmbd%c.NHead != 0 {
		return fmt.Errorf("field \"n_embd\": %d is not a multiple of n_head %d", c.NEmbd, c.NHead)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"resid_pdrop", c.ResidPdrop}, {"embd_pdrop", c.EmbdPdrop}, {"attn_pdrop", c.AttnPdrop}} {
		if f.v < 0 || f.v >= 1 {
			return fmt.Errorf("field %q: %g, want in [0, 1)", f.name, f.v)
		}
	}
	if c.LayerNormEpsilon <= 0 {
		return fmt.Errorf("field \"layer_norm_epsilon\": %g, want > 0", c.LayerNormEpsilon)
	}
	if _, err := layers.NewActivation(c.ActivationFunction); err != nil {
		return fmt.Errorf("field \"activation_function\": %w", err)
	}
	if c.AddCrossAttention {
		return errors.New("field \"add_cross_attention\": true is not supported (GPT-2 blocks with cross-attention)")
	}
	if len(c.PrunedHeads) > 0 {
		return fmt.Errorf("field \"pruned_heads\": %v: checkpoints with pruned heads are not supported", c.PrunedHeads)
	}
	if c.ModelType != "" && c.ModelType != "gpt2" {
		return fmt.Errorf("field \"model_type\": %q, want \"gpt2\"", c.ModelType)
	}
	return nil
}

// Inner is the MLP width: n_inner, or 4·n_embd when null.
func (c Config) Inner() int64 {
	if c.NInner == nil {
		return 4 * c.NEmbd
	}
	return *c.NInner
}

// HeadDim is n_embd / n_head.
func (c Config) HeadDim() int64 { return c.NEmbd / c.NHead }

// Tied reports whether lm_head shares wte's weight (HF default true).
func (c Config) Tied() bool { return c.TieWordEmbeddings == nil || *c.TieWordEmbeddings }

// NumLabels is the number of classifier outputs (models.LabelCount).
func (c Config) NumLabels() int64 { return models.LabelCount(c.ID2Label, c.Labels) }
