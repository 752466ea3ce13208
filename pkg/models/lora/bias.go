package lora

import (
	"slices"
	"strings"
)

// trainsBias reports whether store name is a base parameter the adapter
// trains and saves for its Bias: with "all", every one whose name
// contains "bias", as PEFT's mark_only_lora_as_trainable and
// get_peft_model_state_dict select them (T5's relative_attention_bias
// embedding included).
func (a *Adapter) trainsBias(name string) bool {
	return a.Config.Bias == BiasAll && strings.Contains(name, "bias") && !isLoRA(name)
}

// biasKey is name's key in PEFT's adapter file: an adapted module is
// wrapped, so its own bias sits under base_layer.
func (a *Adapter) biasKey(name string) string {
	if mod, ok := strings.CutSuffix(name, ".bias"); ok && slices.ContainsFunc(a.modules, func(m *module) bool { return m.name == mod }) {
		return prefix + mod + ".base_layer.bias"
	}
	return prefix + name
}
