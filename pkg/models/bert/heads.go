package bert

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Prediction is BertLMPredictionHead (cls.predictions): dense, activation,
// LayerNorm, then the decoder onto the vocabulary with its own bias. The
// decoder weight is the word embeddings when the config ties them (HF's
// default; the checkpoint then has no cls.predictions.decoder.weight).
// RobertaLMHead is the same computation under lm_head (dense, layer_norm,
// decoder, bias) with gelu whatever hidden_act says.
type Prediction struct {
	Dense   *layers.Linear
	Norm    *layers.LayerNorm
	Decoder *tensor.Tensor // [V, C]
	Bias    *tensor.Tensor // [V] cls.predictions.bias (= decoder.bias in HF)
	act     layers.Activation
}

func newPrediction(p *nn.Path, c Config, words *layers.Embedding) (*Prediction, error) {
	name, dense, norm := c.HiddenAct, p.Sub("transform").Sub("dense"), p.Sub("transform").Sub("LayerNorm")
	if c.roberta() {
		name, dense, norm = "gelu", p.Sub("dense"), p.Sub("layer_norm")
	}
	act, err := layers.NewActivation(name)
	if err != nil {
		return nil, fmt.Errorf("bert: field %q: %w", "hidden_act", err)
	}
	h := c.HiddenSize
	pr := &Prediction{
		Dense:   layers.NewLinear(dense, h, h, true, c.InitializerRange),
		Norm:    layers.NewLayerNorm(norm, h, c.LayerNormEps),
		Decoder: words.Weight,
		Bias:    p.Param("bias", []int64{c.VocabSize}, nn.Zeros()),
		act:     act,
	}
	if !c.Tied() {
		pr.Decoder = p.Sub("decoder").Param("weight", []int64{c.VocabSize, h}, nn.Normal(c.InitializerRange))
	}
	return pr, nil
}

// Forward maps hidden states [B, T, C] to vocabulary logits [B, T, V].
func (pr *Prediction) Forward(h *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	x := s.Add(pr.act(s.Add(pr.Dense.Forward(h))))
	x = s.Add(pr.Norm.Forward(x))
	dec := layers.Linear{Weight: pr.Decoder, Bias: pr.Bias}
	return s.Keep(s.Add(dec.Forward(x)))
}

// MaskedLM is BertForMaskedLM (RobertaForMaskedLM): no pooler,
// cls.predictions (lm_head) on every token. It is also the UniLM seq2seq
// model (Input.UniLM, generate.go).
type MaskedLM struct {
	Bert *Model
	Head *Prediction
}

// NewMaskedLM builds BertForMaskedLM under p (the checkpoint root).
func NewMaskedLM(p *nn.Path, c Config) (*MaskedLM, error) { return newMaskedLM(p, c, false) }

func newMaskedLM(p *nn.Path, c Config, pooler bool) (m *MaskedLM, err error) {
	defer tensor.Recover(&err)
	b, err := New(p.Sub(c.info().base), c, pooler)
	if err != nil {
		return nil, err
	}
	head, err := newPrediction(p.Sub(c.info().mlm), c, b.Embeddings.Word)
	if err != nil {
		return nil, err
	}
	return &MaskedLM{Bert: b, Head: head}, nil
}

// Forward returns Output.Logits [B, T, V].
func (m *MaskedLM) Forward(in Input, train bool) (*Output, error) {
	return m.Bert.runHead(in, train, func(o *Output) { o.Logits = m.Head.Forward(o.Hidden) })
}

// PreTraining is BertForPreTraining: the MLM head plus next-sentence
// prediction (cls.seq_relationship) on the pooled [CLS].
type PreTraining struct {
	*MaskedLM
	NSP *layers.Linear // [2, C]
}

// NewPreTraining builds BertForPreTraining under p (the checkpoint root).
func NewPreTraining(p *nn.Path, c Config) (m *PreTraining, err error) {
	defer tensor.Recover(&err)
	if c.roberta() {
		return nil, fmt.Errorf("%s has no ForPreTraining head", c.ModelType)
	}
	mlm, err := newMaskedLM(p, c, true)
	if err != nil {
		return nil, err
	}
	nsp := layers.NewLinear(p.Sub("cls").Sub("seq_relationship"), c.HiddenSize, 2, true, c.InitializerRange)
	return &PreTraining{MaskedLM: mlm, NSP: nsp}, nil
}

// PreTrainingOutput adds the next-sentence logits to the MLM output.
type PreTrainingOutput struct {
	*Output
	NSPLogits *tensor.Tensor // [B, 2]
}

// Close frees every tensor.
func (o *PreTrainingOutput) Close() {
	tensor.Free(o.NSPLogits)
	o.Output.Close()
}

// Forward returns the MLM logits [B, T, V] and NSP logits [B, 2].
func (m *PreTraining) Forward(in Input, train bool) (*PreTrainingOutput, error) {
	var nsp *tensor.Tensor
	o, err := m.Bert.runHead(in, train, func(o *Output) {
		o.Logits = m.Head.Forward(o.Hidden)
		nsp = m.NSP.Forward(o.Pooled)
	})
	if err != nil {
		return nil, err
	}
	return &PreTrainingOutput{Output: o, NSPLogits: nsp}, nil
}

// SequenceClassification is BertForSequenceClassification: dropout and
// `classifier` on the pooled [CLS]. For RoBERTa it is
// RobertaForSequenceClassification: no pooler, and RobertaClassificationHead
// on the first token's hidden state: dropout, classifier.dense, tanh,
// dropout, classifier.out_proj.
type SequenceClassification struct {
	Bert       *Model
	Dense      *layers.Linear // [C, C] classifier.dense; nil for BERT
	Classifier *layers.Linear // [L, C] classifier (RoBERTa: classifier.out_proj)
	dropout    float64
}

// NewSequenceClassification builds it under p with c.Labels() outputs.
func NewSequenceClassification(p *nn.Path, c Config) (m *SequenceClassification, err error) {
	defer tensor.Recover(&err)
	b, err := New(p.Sub(c.info().base), c, !c.roberta())
	if err != nil {
		return nil, err
	}
	m = &SequenceClassification{Bert: b, dropout: c.ClassifierDropoutProb()}
	h, std := c.HiddenSize, c.InitializerRange
	if c.roberta() {
		m.Dense = layers.NewLinear(p.Sub("classifier").Sub("dense"), h, h, true, std)
		m.Classifier = layers.NewLinear(p.Sub("classifier").Sub("out_proj"), h, c.Labels(), true, std)
		return m, nil
	}
	m.Classifier = layers.NewLinear(p.Sub("classifier"), h, c.Labels(), true, std)
	return m, nil
}

// Forward returns Output.Logits [B, L].
func (m *SequenceClassification) Forward(in Input, train bool) (*Output, error) {
	return m.Bert.runHead(in, train, func(o *Output) {
		s := tensor.NewScope()
		defer s.Close()
		x := o.Pooled
		if m.Dense != nil {
			x = s.T(o.Hidden.Select(1, 0, false)) // [B, C] the first token, <s>
			x = s.Add(layers.Dropout(x, m.dropout, train))
			x = s.T(s.Add(m.Dense.Forward(x)).Tanh(false))
		}
		o.Logits = m.Classifier.Forward(s.Add(layers.Dropout(x, m.dropout, train)))
	})
}

// runHead is every head's Forward: check the input, run the encoder, then
// head on its output. A libtorch failure in either frees the partial
// output and comes back as an error.
func (m *Model) runHead(in Input, train bool, head func(*Output)) (out *Output, err error) {
	defer tensor.Recover(&err)
	if err := m.check(in); err != nil {
		return nil, err
	}
	err = tensor.Catch(func() {
		out = m.forward(in, train)
		head(out)
	})
	if err != nil {
		if out != nil {
			out.Close()
		}
		return nil, err
	}
	return out, nil
}

// Reward is a BERT reward (or value) model: TRL's ValueHead
// (v_head.summary, Linear(C, 1)) on the [CLS] hidden state, one score per
// row. It has no HF class; its file is the BertModel's plus v_head.*.
type Reward struct {
	Bert *Model
	Head *heads.Value
}

// NewReward builds it under p; the head's dropout is summary_dropout_prob
// (TRL's default 0.1 when absent).
func NewReward(p *nn.Path, c Config) (m *Reward, err error) {
	defer tensor.Recover(&err)
	b, err := New(p.Sub(c.info().base), c, false)
	if err != nil {
		return nil, err
	}
	dropout := heads.DefaultValueDropout
	if c.SummaryDropoutProb != nil {
		dropout = *c.SummaryDropoutProb
	}
	return &Reward{Bert: b, Head: heads.NewValue(p.Sub("v_head"), c.HiddenSize, dropout)}, nil
}

// Forward returns Output.Logits [B], the score of each row's [CLS].
func (m *Reward) Forward(in Input, train bool) (*Output, error) {
	return m.Bert.runHead(in, train, func(o *Output) {
		s := tensor.NewScope()
		defer s.Close()
		cls := s.T(ts.Zeros([]int64{tensor.Shape(in.IDs)[0]}, gotch.Int64, deviceOf(in.IDs))) // [B] index 0
		v := m.Head.Forward(o.Hidden, cls, train)
		s.Add(v.PerToken)
		o.Logits = v.Last
	})
}
