package t5

import "github.com/gotrl/gotrl/pkg/models/weights"

// LoadOptions lists T5's only differences from "file name = store name":
//   - encoder.embed_tokens, decoder.embed_tokens and (when tied) lm_head
//     are shared.weight; safetensors files omit them, .bin files keep them;
//   - old checkpoints hold an unused cross-attention relative bias in
//     decoder block 0, which HF ignores too.
func LoadOptions(c Config) weights.LoadOptions {
	rename := func(name string) (string, bool) {
		return name, name != "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"
	}
	tied := map[string]string{
		"encoder.embed_tokens.weight": "shared.weight",
		"decoder.embed_tokens.weight": "shared.weight",
	}
	if c.Tied() {
		tied["lm_head.weight"] = "shared.weight"
	}
	return weights.LoadOptions{Rename: rename, Tied: tied}
}
