package heads

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// LM is HF's lm_head: hidden [..., H] → logits [..., V], without bias.
type LM struct {
	layers.Linear
}

// TiedLM shares the input embedding's weight [V, H] (GPT-2, T5 v1.0,
// BERT's MLM decoder); it registers nothing in the store.
func TiedLM(embedding *tensor.Tensor) *LM {
	return &LM{layers.Linear{Weight: embedding, Hook: &layers.Hook{}}}
}

// NewLM registers its own weight [V, H] under p (HF: "lm_head"), as untied
// models (mT5, T5 v1.1) have.
func NewLM(p *nn.Path, hidden, vocab int64, std float64) *LM {
	return &LM{*layers.NewLinear(p, hidden, vocab, false, std)}
}
