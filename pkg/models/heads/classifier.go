package heads

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Classifier is HF's GPT2ForSequenceClassification head: `score`, a Linear
// without bias, on the hidden state of one token per row (see LastByPadID).
type Classifier struct {
	Score *layers.Linear
}

// NewClassifier registers weight [labels, hidden] ~ N(0, std) under p
// (HF: "score").
func NewClassifier(p *nn.Path, hidden, labels int64, std float64) *Classifier {
	return &Classifier{Score: layers.NewLinear(p, hidden, labels, false, std)}
}

// Forward maps hidden [B, T, H] and token indices last [B] to logits
// [B, labels]. HF applies score to every position and then gathers; scoring
// only the gathered rows gives the same numbers for less work.
func (c *Classifier) Forward(hidden, last *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	h := s.Add(GatherLast(hidden, last)) // [B, H]
	return c.Score.Forward(h)
}
