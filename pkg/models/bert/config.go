package bert

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// Config is Hugging Face's BertConfig (or RobertaConfig, XLMRobertaConfig:
// the same fields, see Flavor) as read from config.json; field names are
// the JSON keys. Zero values are filled with BertConfig's defaults by
// ParseConfig, so a partial file (such as UniLM's, which has no model_type
// and no layer_norm_eps) still loads.
type Config struct {
	ModelType             string   `json:"model_type"`
	Architectures         []string `json:"architectures,omitempty"`
	VocabSize             int64    `json:"vocab_size"`
	HiddenSize            int64    `json:"hidden_size"`
	NumHiddenLayers       int64    `json:"num_hidden_layers"`
	NumAttentionHeads     int64    `json:"num_attention_heads"`
	IntermediateSize      int64    `json:"intermediate_size"`
	HiddenAct             string   `json:"hidden_act"`
	HiddenDropoutProb     float64  `json:"hidden_dropout_prob"`
	AttentionDropoutProb  float64  `json:"attention_probs_dropout_prob"`
	MaxPositionEmbeddings int64    `json:"max_position_embeddings"`
	TypeVocabSize         int64    `json:"type_vocab_size"`
	InitializerRange      float64  `json:"initializer_range"`
	LayerNormEps          float64  `json:"layer_norm_eps"`
	// PadTokenID is the word embeddings' padding row (nn.Embedding's
	// padding_idx: zero at init, no gradient). nil, a null in config.json,
	// leaves every row trainable, as transformers' None does; RoBERTa,
	// which numbers positions from it, needs one.
	PadTokenID *int64 `json:"pad_token_id"`
	// BOSTokenID and EOSTokenID compute nothing here; they are kept so a
	// saved config says what the loaded one did (RobertaConfig: 0 and 2).
	BOSTokenID *int64 `json:"bos_token_id,omitempty"`
	EOSTokenID *int64 `json:"eos_token_id,omitempty"`
	// ClassifierDropout is the dropout before `classifier`; nil means
	// HiddenDropoutProb (BertForSequenceClassification).
	ClassifierDropout *float64          `json:"classifier_dropout"`
	NumLabels         int64             `json:"num_labels,omitempty"`
	ID2Label          map[string]string `json:"id2label,omitempty"`
	// TieWordEmbeddings ties the MLM decoder to the word embeddings
	// (PretrainedConfig default true).
	TieWordEmbeddings *bool `json:"tie_word_embeddings,omitempty"`
	// SummaryDropoutProb is the dropout of Reward's value head (TRL's
	// ValueHead reads summary_dropout_prob; nil means its default 0.1).
	SummaryDropoutProb *float64 `json:"summary_dropout_prob,omitempty"`
	// PositionEmbeddingType must be "absolute": the relative variants of
	// BertSelfAttention are not implemented.
	PositionEmbeddingType string `json:"position_embedding_type"`
	// IsDecoder (a causal mask: BertLMHeadModel), AddCrossAttention and
	// PrunedHeads change what BertModel computes or holds; all three are
	// refused (Validate).
	IsDecoder         bool               `json:"is_decoder,omitempty"`
	AddCrossAttention bool               `json:"add_cross_attention,omitempty"`
	PrunedHeads       map[string][]int64 `json:"pruned_heads,omitempty"`
}

// DefaultConfig is bert-base: BertConfig()'s defaults.
func DefaultConfig() Config {
	return Config{
		ModelType: "bert", VocabSize: 30522, HiddenSize: 768, NumHiddenLayers: 12,
		NumAttentionHeads: 12, IntermediateSize: 3072, HiddenAct: "gelu",
		HiddenDropoutProb: 0.1, AttentionDropoutProb: 0.1, MaxPositionEmbeddings: 512,
		TypeVocabSize: 2, InitializerRange: 0.02, LayerNormEps: 1e-12,
		PadTokenID: new(int64), PositionEmbeddingType: "absolute",
	}
}

// pad is the padding id, or -1 where there is none (models.Tokens' "none").
func (c Config) pad() int64 {
	if c.PadTokenID == nil {
		return -1
	}
	return *c.PadTokenID
}

// ReadConfig reads a config.json file (see ParseConfig).
func ReadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("bert config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("bert config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes config.json over the defaults of its model_type's
// config class (BertConfig, RobertaConfig, XLMRobertaConfig) and validates
// it. A file without model_type is accepted as BERT (the caller chose this
// package explicitly); another model_type is an error.
func ParseConfig(data []byte) (Config, error) { return parseConfig(data, "") }

// parseConfig is ParseConfig with the model type as models.Load resolved
// it (the --model-type override first); "" reads the file's.
func parseConfig(data []byte, override Flavor) (Config, error) {
	var h struct {
		ModelType string `json:"model_type"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return Config{}, err
	}
	if override != "" {
		h.ModelType = string(override)
	}
	f, err := parseFlavor(h.ModelType)
	if err != nil {
		return Config{}, err
	}
	c := DefaultConfig()
	pad := flavors[f].pad
	c.VocabSize, c.PadTokenID = flavors[f].vocab, &pad
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, err
	}
	c.ModelType = string(f)
	null, err := models.NullKeys(data)
	if err != nil {
		return Config{}, err
	}
	if null["tie_word_embeddings"] { // HF tests the flag for truth
		c.TieWordEmbeddings = new(bool)
	}
	if null["position_embedding_type"] {
		// HF's BertEmbeddings then adds no position embeddings at all.
		return Config{}, fmt.Errorf("field %q: null is not supported (want \"absolute\")", "position_embedding_type")
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate reports the first field that cannot describe a BERT model.
func (c Config) Validate() error {
	if _, ok := flavors[c.Flavor()]; !ok {
		return fmt.Errorf("field %q: %q: want bert, roberta or xlm-roberta", "model_type", c.ModelType)
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
		{"intermediate_size", c.IntermediateSize}, {"max_position_embeddings", c.MaxPositionEmbeddings},
		{"type_vocab_size", c.TypeVocabSize},
	}
	for _, f := range positive {
		if f.v <= 0 {
			return fmt.Errorf("field %q: must be positive, got %d", f.name, f.v)
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("field %q: hidden_size %d is not a multiple of num_attention_heads %d",
			"hidden_size", c.HiddenSize, c.NumAttentionHeads)
	}
	for name, p := range map[string]float64{
		"hidden_dropout_prob": c.HiddenDropoutProb, "attention_probs_dropout_prob": c.AttentionDropoutProb,
	} {
		if p < 0 || p >= 1 {
			return fmt.Errorf("field %q: dropout %g not in [0, 1)", name, p)
		}
	}
	if c.LayerNormEps <= 0 {
		return fmt.Errorf("field %q: must be positive, got %g", "layer_norm_eps", c.LayerNormEps)
	}
	if c.PositionEmbeddingType != "" && c.PositionEmbeddingType != "absolute" {
		return fmt.Errorf("field %q: %q is not supported (want \"absolute\")", "position_embedding_type", c.PositionEmbeddingType)
	}
	// HF's BertModel makes its mask causal for is_decoder, even under
	// BertForMaskedLM; gotrl's attends both ways.
	if c.IsDecoder {
		return fmt.Errorf("field %q: true (%s) is not supported", "is_decoder", c.info().causal)
	}
	if c.AddCrossAttention {
		return fmt.Errorf("field %q: true is not supported (BERT layers with cross-attention)", "add_cross_attention")
	}
	if len(c.PrunedHeads) > 0 {
		return fmt.Errorf("field %q: %v: checkpoints with pruned heads are not supported", "pruned_heads", c.PrunedHeads)
	}
	if _, err := layers.NewActivation(c.HiddenAct); err != nil {
		return fmt.Errorf("field %q: %w", "hidden_act", err)
	}
	switch {
	case c.PadTokenID == nil && c.roberta():
		return fmt.Errorf("field %q: null: %s numbers its positions from pad_token_id + 1, so it needs one", "pad_token_id", c.ModelType)
	case c.PadTokenID != nil && (*c.PadTokenID < 0 || *c.PadTokenID >= c.VocabSize):
		return fmt.Errorf("field %q: %d outside the vocabulary of %d", "pad_token_id", *c.PadTokenID, c.VocabSize)
	}
	// RobertaEmbeddings numbers positions from pad_token_id + 1, and each
	// must be a row of position_embeddings.
	if c.roberta() && c.MaxPositionEmbeddings <= c.firstPosition() {
		return fmt.Errorf("field %q: %d leaves no position after pad_token_id %d (RoBERTa's positions start at pad_token_id + 1)",
			"max_position_embeddings", c.MaxPositionEmbeddings, c.pad())
	}
	return nil
}

// HeadDim is the size of one attention head.
func (c Config) HeadDim() int64 { return c.HiddenSize / c.NumAttentionHeads }

// Labels is the number of classifier outputs (models.LabelCount).
func (c Config) Labels() int64 { return models.LabelCount(c.ID2Label, c.NumLabels) }

// Tied reports whether the MLM decoder shares the word embeddings.
func (c Config) Tied() bool { return c.TieWordEmbeddings == nil || *c.TieWordEmbeddings }

// ClassifierDropoutProb is the dropout before the classifier.
func (c Config) ClassifierDropoutProb() float64 {
	if c.ClassifierDropout != nil {
		return *c.ClassifierDropout
	}
	return c.HiddenDropoutProb
}
