package gpt2

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Classifier is GPT2ForSequenceClassification: the transformer and
// `score` (no bias) on the token before the first pad id.
type Classifier struct {
	*Model
	Score *heads.Classifier
}

// NewClassifier builds the transformer and a score head with
// config.NumLabels() outputs under root.
func NewClassifier(root *nn.Path, c Config) (m *Classifier, err error) {
	defer tensor.Recover(&err)
	base, err := New(root, c)
	if err != nil {
		return nil, err
	}
	return &Classifier{Model: base, Score: heads.NewClassifier(root.Sub("score"), c.NEmbd, c.NumLabels(), c.InitializerRange)}, nil
}

// ClassifierOutput is the classifier's result; the caller owns it (Close).
type ClassifierOutput struct {
	Logits *tensor.Tensor // [B, labels]
	Hidden *tensor.Tensor // [B, T, C], after ln_f
}

// Close frees both tensors.
func (o *ClassifierOutput) Close() { tensor.Free(o.Logits, o.Hidden) }

// Forward scores each row at HF's position (argmax(ids == pad) - 1) mod T.
// As in HF, a batch of more than one row needs pad_token_id.
func (m *Classifier) Forward(in Input, train bool) (out *ClassifierOutput, err error) {
	in.SkipLogits, in.AllHidden = true, false
	o, err := m.Model.Forward(in, train)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			o.Close()
			out = nil
		}
	}()
	defer tensor.Recover(&err)
	s := tensor.NewScope()
	defer s.Close()
	pad := m.Config.PadTokenID
	if pad == nil {
		if b := tensor.Shape(in.IDs)[0]; b > 1 {
			return nil, fmt.Errorf("gpt2 classifier: batch of %d needs pad_token_id in the config", b)
		}
		last := int64(-1) // never matches: the last token is scored
		pad = &last
	}
	idx := s.Add(heads.LastByPadID(in.IDs, *pad))
	return &ClassifierOutput{Logits: m.Score.Forward(o.Hidden, idx), Hidden: o.Hidden}, nil
}
