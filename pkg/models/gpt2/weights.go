package gpt2

import (
	"strings"

	"github.com/gotrl/gotrl/pkg/models/weights"
)

// LoadOptions lists GPT-2's only differences from "file name = store name":
//   - lm_head.weight is wte when c ties them (pytorch_model.bin files carry
//     the copy); an untied lm_head is a tensor of its own, never filled
//     from wte nor left out of a save;
//   - GPT2Model checkpoints (OpenAI's "gpt2" files) lack the "transformer."
//     prefix of GPT2LMHeadModel's;
//   - older files hold the causal-mask buffers attn.bias / attn.masked_bias.
func LoadOptions(c Config) weights.LoadOptions {
	opts := weights.LoadOptions{Rename: rename}
	if c.Tied() {
		opts.Tied = map[string]string{"lm_head.weight": "transformer.wte.weight"}
	}
	return opts
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
