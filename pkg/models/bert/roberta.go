package bert

import (
	"fmt"
	"strings"

	"github.com/gotrl/gotrl/pkg/models/weights"
)

// Flavor is the model_type a Config describes. RoBERTa is BERT's encoder
// with other embeddings and heads (transformers' modeling_roberta.py, and
// modeling_xlm_roberta.py, the same modules under XLMRoberta class names);
// this file is the one place that says what differs:
//   - position ids count the non-padding tokens from pad_token_id + 1
//     (create_position_ids_from_input_ids), and the position embeddings
//     have padding_idx = pad_token_id;
//   - the encoder is under "roberta." and no head uses the pooler;
//   - the MLM head is lm_head (dense, gelu, layer_norm, decoder) and the
//     classifier RobertaClassificationHead (classifier.dense, tanh,
//     classifier.out_proj) on the first token's hidden state;
//   - there is no ForPreTraining class.
type Flavor string

const (
	FlavorBERT       Flavor = "bert"
	FlavorRoBERTa    Flavor = "roberta"
	FlavorXLMRoBERTa Flavor = "xlm-roberta"
)

// flavorInfo is what a Flavor changes.
type flavorInfo struct {
	base    string // the encoder's path in a head's checkpoint
	head    string // the heads' path a bare encoder ignores
	mlm     string // the MLM head's path
	classes string // HF class-name prefix (BertForMaskedLM)
	causal  string // the causal class is_decoder asks for, which gotrl lacks
	roles   []string
	// defaults are the config class's defaults that differ from BertConfig's.
	vocab, pad int64
}

var flavors = map[Flavor]flavorInfo{
	FlavorBERT: {base: "bert", head: "cls", mlm: "cls.predictions", classes: "Bert", causal: "a causal BERT, BertLMHeadModel", vocab: 30522, pad: 0,
		roles: []string{archModel, archMaskedLM, archPreTraining, archClassifier, archReward}},
	FlavorRoBERTa: {base: "roberta", head: "lm_head", mlm: "lm_head", classes: "Roberta", causal: "a causal RoBERTa, RobertaForCausalLM", vocab: 50265, pad: 1,
		roles: []string{archModel, archMaskedLM, archClassifier, archReward}},
	FlavorXLMRoBERTa: {base: "roberta", head: "lm_head", mlm: "lm_head", classes: "XLMRoberta", causal: "a causal XLM-RoBERTa, XLMRobertaForCausalLM", vocab: 30522, pad: 1,
		roles: []string{archModel, archMaskedLM, archClassifier, archReward}},
}

// parseFlavor validates config.json's model_type ("" is BERT: the caller
// chose this package explicitly).
func parseFlavor(modelType string) (Flavor, error) {
	f := Flavor(modelType)
	if f == "" {
		return FlavorBERT, nil
	}
	if _, ok := flavors[f]; !ok {
		return "", fmt.Errorf("model_type %q: want bert, roberta or xlm-roberta", modelType)
	}
	return f, nil
}

// Flavor is c's model_type as a Flavor.
func (c Config) Flavor() Flavor { return Flavor(c.ModelType) }

func (c Config) info() flavorInfo { return flavors[c.Flavor()] }

// label names c's model_type in messages (bert for a Config built
// without one).
func (c Config) label() string {
	if c.ModelType == "" {
		return string(FlavorBERT)
	}
	return c.ModelType
}

// roberta reports whether c computes as RoBERTa.
func (c Config) roberta() bool { return c.Flavor() != FlavorBERT }

// Class is HF's class name of a head role for c's flavor
// (archMaskedLM → RobertaForMaskedLM).
func (c Config) Class(role string) string { return c.info().classes + role }

// role maps an HF class name back to the head role c's flavor builds.
func (c Config) role(class string) (string, error) {
	r, ok := strings.CutPrefix(class, c.info().classes)
	if ok {
		for _, have := range c.info().roles {
			if r == have {
				return r, nil
			}
		}
	}
	return "", fmt.Errorf("%q is not supported for model_type %s", class, c.ModelType)
}

// firstPosition is the position id of the first token: RoBERTa's start
// after the padding id.
func (c Config) firstPosition() int64 {
	if c.roberta() {
		return c.pad() + 1
	}
	return 0
}

// MLMHead is the path of c's MLM head: cls.predictions, or lm_head.
func (c Config) MLMHead() string { return c.info().mlm }

// MaxTokens is the longest sequence c's position embeddings cover: 512
// for RoBERTa's 514 positions with pad_token_id 1.
func (c Config) MaxTokens() int64 { return c.MaxPositionEmbeddings - c.firstPosition() }

// saveOptions writes RobertaForMaskedLM's lm_head.bias a second time as
// lm_head.decoder.bias, the tensor it is tied to: transformers 4.46.3's
// from_pretrained (without low_cpu_mem_usage) re-initialises both to zero
// when the file lacks lm_head.decoder.bias, as its own safetensors files do.
func saveOptions(c Config, role string) weights.SaveOptions {
	if c.roberta() && role == archMaskedLM {
		return weights.SaveOptions{Copies: map[string]string{"lm_head.bias": "lm_head.decoder.bias"}}
	}
	return weights.SaveOptions{}
}

// hasPooler reports whether dir's checkpoint holds a pooler: transformers
// builds a bare RobertaModel with one (add_pooling_layer=True) but
// checkpoints are also saved from heads without it, and the pooler then
// stays random and unused; gotrl builds it only when the file has it.
func hasPooler(dir string, c Config) (bool, error) {
	ck, err := weights.Open(dir)
	if err != nil {
		return false, err
	}
	defer ck.Close()
	for _, n := range ck.Names() {
		if n == "pooler.dense.weight" || n == c.info().base+".pooler.dense.weight" {
			return true, nil
		}
	}
	return false, nil
}
