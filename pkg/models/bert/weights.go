package bert

import (
	"strings"

	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// LoadOptions lists BERT's only differences from "file name = store name":
//   - the MLM decoder: cls.predictions.decoder.bias is cls.predictions.bias,
//     and decoder.weight is the word embeddings when c ties them (an untied
//     decoder weight is a tensor of its own, never filled from them);
//   - BertModel files lack the "bert." prefix ("roberta." for RoBERTa,
//     whose MLM decoder is lm_head.decoder, its bias lm_head.bias);
//   - TF-converted files name LayerNorm parameters gamma/beta and may carry
//     the position_ids buffer;
//   - ignore drops tensors under the given prefixes, as HF does when
//     BertForMaskedLM reads a BertForPreTraining file ("bert.pooler",
//     "cls.seq_relationship").
func LoadOptions(c Config, ignore ...string) weights.LoadOptions {
	rename := func(name string) (string, bool) {
		if strings.HasSuffix(name, "embeddings.position_ids") || nn.Prefixed(name, ignore...) {
			return "", false
		}
		name = strings.Replace(strings.Replace(name, "LayerNorm.gamma", "LayerNorm.weight", 1), "LayerNorm.beta", "LayerNorm.bias", 1)
		for _, base := range []string{"embeddings.", "encoder.", "pooler."} {
			if strings.HasPrefix(name, base) {
				return c.info().base + "." + name, true
			}
		}
		return name, true
	}
	head := c.info().mlm
	tied := map[string]string{head + ".decoder.bias": head + ".bias"}
	if c.Tied() {
		tied[head+".decoder.weight"] = c.info().base + ".embeddings.word_embeddings.weight"
	}
	return weights.LoadOptions{Rename: rename, Tied: tied}
}
