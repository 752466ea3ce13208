package gpt2

import (
	"strings"

	"github.com/gotrl/gotrl/pkg/models/weights"
)

// LoadOptions lists GPT-2's only differences from "file name = store name":
//   - lm_head.weight is wte (pytorch_model.bin files carry the copy);
//   - GPT2Model checkpoints (OpenAI's "gpt2" files) lack the "transformer."
//     prefix of GPT2LMHeadModel's;
//   - older files hold the causal-mask buffers attn.bias / attn.masked_bias.
func LoadOptions() weights.LoadOptions {
	return weights.LoadOptions{Rename: rename, Tied: map[string]string{"lm_head.weight": "transformer.wte.weight"}}
}

func rename(name string) (string, bool) {
	if strings.HasSuffix(name, ".attn.bias") || strings.HasSuffix(name, ".attn.masked_bias") {
		return "", false
	}
	for _, base := range []string{"wte.", "wpe.", "h.", "ln_f."} {
		if strings.HasPrefix(name, base) {
			return "transformer." + name, true
		}
	}
	return name, true
}
