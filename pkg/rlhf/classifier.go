package rlhf

import (
	"context"
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/metrics"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/train"
)

// ClassifierConfig configures `gotrl classifier`: sequence classification
// fine-tuning (HF's AutoModelForSequenceClassification with Trainer, as
// run_glue / text-classification train it).
type ClassifierConfig struct {
	Train train.Config  `yaml:",inline"`
	Model models.Source `yaml:",inline"`
	Data  DataConfig    `yaml:",inline"`
	PEFT  PEFTConfig    `yaml:",inline"`
	// NumLabels is the head's size; 0 takes the largest label in the
	// training data + 1 (or the checkpoint's, when it is a classifier).
	NumLabels int `yaml:"num_labels" help:"labels of the classification head; 0 = the largest training label + 1"`
}

// DefaultClassifier mirrors TrainingArguments' defaults with run_glue's
// learning rate; the best checkpoint is the most accurate.
func DefaultClassifier() ClassifierConfig {
	c := ClassifierConfig{Train: train.DefaultConfig(), PEFT: DefaultPEFT()}
	c.Train.Optimizer.LR = 2e-5
	c.Train.Metric, c.Train.GreaterIsBetter = "eval/accuracy", true
	c.Data.MaxLen, c.Data.EvalFraction = 256, 0.1
	return c
}

// Validate checks every field.
func (c ClassifierConfig) Validate() error {
	if err := validate(c.Train, c.Model, c.Data, c.PEFT); err != nil {
		return err
	}
	if c.NumLabels < 0 {
		return fmt.Errorf("num_labels %d, want ≥ 0", c.NumLabels)
	}
	return nil
}

// singleLabel refuses a model whose config.json asks transformers for
// another loss than the cross-entropy this stage trains with: Trainer
// would fit "regression" with MSE and "multi_label_classification" with
// binary cross-entropy over independent labels.
func singleLabel(src models.Source) error {
	pt, err := src.ProblemType()
	if err != nil {
		return fmt.Errorf("classifier: %w", err)
	}
	switch pt {
	case "", "single_label_classification":
		return nil
	}
	return fmt.Errorf("classifier: config.json of %s: problem_type %q is not supported: gotrl classifier trains single-label classifiers with cross-entropy (want single_label_classification or no problem_type)", src.Init+src.Config, pt)
}

// labeledBatch is a padded batch of texts and their labels.
type labeledBatch struct {
	data.Batch
	Labels []int64
}

// clsStage trains a sequence classifier with cross-entropy over its labels.
type clsStage struct {
	m      models.Classifier
	labels int
	eval   []labeledBatch
	tuning
}

func (st *clsStage) Name() string              { return "classifier" }
func (st *clsStage) Store() *nn.Store          { return st.m.Store() }
func (st *clsStage) Save(dir string) error     { return st.save(st.m, dir) }
func (st *clsStage) Tokens(b labeledBatch) int { return tokens(b.Batch) }
func (st *clsStage) Items(b labeledBatch) int  { return len(b.Labels) }
func (st *clsStage) EvalKeys() []string        { return []string{"loss", "accuracy", "macro_f1"} }
func (st *clsStage) logits(s *tensor.Scope, b labeledBatch, train bool) *tensor.Tensor {
	return s.T(st.m.Classify(input(s, st.m, b.Batch), train)) // [B, L]
}

// Loss is the mean cross-entropy, with the batch's accuracy.
func (st *clsStage) Loss(b labeledBatch) (loss *tensor.Tensor, stats map[string]float64, err error) {
	defer tensor.Recover(&err)
	st.training(true)
	defer st.training(false)
	s := tensor.NewScope()
	defer s.Close()
	logits := st.logits(s, b, true)
	target := s.T(tensor.FromInt64s(b.Labels, []int64{int64(len(b.Labels))}, st.m.Store().Device()))
	loss = s.Keep(s.T(logits.CrossEntropyLoss(target, ts.None, 1, -100, 0, false)))
	pred := s.T(logits.Argmax([]int64{-1}, false, false))
	acc, err := tensor.Item(s.T(s.T(s.T(pred.EqTensor(target, false)).Totype(gotch.Float, false)).Mean(gotch.Float, false)))
	tensor.Check(err)
	return loss, map[string]float64{"accuracy": acc}, nil
}

// Eval returns the loss, accuracy and macro-F1 over the eval set.
func (st *clsStage) Eval(ctx context.Context) (map[string]float64, error) {
	return st.EvalShard(ctx, nil)
}

// EvalShard is Eval over this rank's eval batches, the predictions gathered
// through the sums of a confusion matrix over ranks.
func (st *clsStage) EvalShard(_ context.Context, g *dist.Group) (map[string]float64, error) {
	l := st.labels
	sums := make([]float64, 2+l*l) // loss·n, n, confusion[gold][pred]
	err := tensor.NoGrad(func() {
		for i, b := range st.eval {
			if !train.Part(g, i) {
				continue
			}
			s := tensor.NewScope()
			logits := st.logits(s, b, false)
			target := s.T(tensor.FromInt64s(b.Labels, []int64{int64(len(b.Labels))}, st.m.Store().Device()))
			loss, err := tensor.Item(s.T(logits.CrossEntropyLoss(target, ts.None, 1, -100, 0, false)))
			tensor.Check(err)
			pred, err := tensor.Int64s(s.T(logits.Argmax([]int64{-1}, false, false)))
			tensor.Check(err)
			s.Close()
			sums[0] += loss * float64(len(b.Labels))
			sums[1] += float64(len(b.Labels))
			for j, p := range pred {
				sums[2+int(b.Labels[j])*l+int(p)]++
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if err := g.ReduceFloat64s(sums, dist.Sum); err != nil {
		return nil, err
	}
	if sums[1] == 0 {
		return nil, nil
	}
	var gold, pred []string
	for k, n := range sums[2:] {
		for range int(n) {
			gold, pred = append(gold, fmt.Sprint(k/l)), append(pred, fmt.Sprint(k%l))
		}
	}
	acc, err := metrics.Accuracy(gold, pred)
	if err != nil {
		return nil, err
	}
	labels := make([]string, l)
	for i := range labels {
		labels[i] = fmt.Sprint(i)
	}
	f1, err := metrics.MacroF1(labels, gold, pred)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"loss": sums[0] / sums[1], "accuracy": acc, "macro_f1": f1}, nil
}

// labeledLoader batches encoded texts and labels in a Sampler's order.
type labeledLoader struct {
	xs      []data.Encoded
	labels  []int64
	sampler *data.Sampler
	c       data.Collator
}

func newLabeledLoader(xs []data.Encoded, labels []int64, s data.Sampler, c data.Collator) (*labeledLoader, error) {
	s.Lens = make([]int, len(xs))
	for i, x := range xs {
		s.Lens[i] = len(x.IDs)
	}
	l := &labeledLoader{xs: xs, labels: labels, sampler: &s, c: c}
	if _, _, err := s.Next(data.Cursor{}); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *labeledLoader) Batches() int { return l.sampler.Batches() }

func (l *labeledLoader) Next(cur data.Cursor) (labeledBatch, data.Cursor, error) {
	idx, next, err := l.sampler.Next(cur)
	if err != nil {
		return labeledBatch{}, cur, err
	}
	return l.collate(idx, next)
}

func (l *labeledLoader) collate(idx []int, next data.Cursor) (labeledBatch, data.Cursor, error) {
	xs, ys := make([]data.Encoded, len(idx)), make([]int64, len(idx))
	for i, j := range idx {
		xs[i], ys[i] = l.xs[j], l.labels[j]
	}
	b, err := l.c.Collate(xs)
	return labeledBatch{Batch: b, Labels: ys}, next, err
}

// Classifier fine-tunes a sequence classifier (BERT: [CLS] pooled; GPT-2:
// the last token) on {text, label} records, from a pretrained model (a
// new head) or a classifier checkpoint.
func Classifier(ctx context.Context, cfg ClassifierConfig, env train.Env) (train.State, error) {
	if err := cfg.Validate(); err != nil {
		return train.State{}, err
	}
	if err := singleLabel(cfg.Model); err != nil { // before the run directory is made
		return train.State{}, err
	}
	ckpt, err := start(env, cfg.Train, "classifier", &cfg.Model, cfg.PEFT, cfg)
	if err != nil {
		return train.State{}, err
	}
	tok, err := openTokenizer(env, cfg.Data.Tokenizer)
	if err != nil {
		return train.State{}, err
	}
	tr, ev, err := readSplit(env, cfg.Data, cfg.Train.Seed, data.Classification)
	if err != nil {
		return train.State{}, err
	}
	n := cfg.NumLabels
	for _, x := range tr {
		if cfg.NumLabels == 0 {
			n = max(n, x.Label+1)
		}
	}
	for _, x := range append(tr[:len(tr):len(tr)], ev...) {
		if x.Label >= n {
			return train.State{}, &data.RecordError{Pos: x.Pos, Field: "label",
				Err: fmt.Errorf("%d, but the classifier has num_labels %d (--num-labels; by default the largest training label + 1)", x.Label, n)}
		}
	}
	if n < 2 {
		return train.State{}, fmt.Errorf("classifier: the training data has %d label(s); a classifier needs 2 or more", n)
	}
	opened, err := openModel(cfg.Model, tok, env, models.Options{Task: models.TaskClassifier, NumLabels: n, Partial: cfg.Model.Init != "" && (ckpt == "" || cfg.PEFT.UsePEFT)}, &cfg.Data.MaxLen)
	if err != nil {
		return train.State{}, err
	}
	defer opened.Close()
	m, ok := opened.(models.Classifier)
	if !ok {
		return train.State{}, fmt.Errorf("classifier: %T is not a sequence classifier", opened)
	}
	pad, err := data.PadID(tok.Special())
	if err != nil {
		return train.State{}, err
	}
	enc := &data.Encoder{Tok: tok, MaxLen: cfg.Data.MaxLen}
	encode := func(xs []data.Labeled) ([]data.Encoded, []int64, error) {
		out, ys := make([]data.Encoded, len(xs)), make([]int64, len(xs))
		for i, x := range xs {
			e, err := enc.Single(x.Text)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", x.Pos, err)
			}
			out[i], ys[i] = e, int64(x.Label)
		}
		return out, ys, nil
	}
	trX, trY, err := encode(tr)
	if err != nil {
		return train.State{}, err
	}
	evX, evY, err := encode(ev)
	if err != nil {
		return train.State{}, err
	}
	c := data.Collator{PadID: pad}
	ad, err := applyPEFT(cfg.PEFT, m, cfg.Model, peftCheckpoint(cfg.PEFT, ckpt), env, headModules...)
	if err != nil {
		return train.State{}, err
	}
	st := &clsStage{m: m, labels: m.NumLabels(), tuning: tuning{adapter: ad}}
	for i := 0; i < len(evX); i += cfg.Train.BatchSize {
		j := min(i+cfg.Train.BatchSize, len(evX))
		b, err := c.Collate(evX[i:j])
		if err != nil {
			return train.State{}, err
		}
		st.eval = append(st.eval, labeledBatch{Batch: b, Labels: evY[i:j]})
	}
	ld, err := newLabeledLoader(trX, trY, shuffled(env, cfg.Train), c)
	if err != nil {
		return train.State{}, err
	}
	env.Logf("classifier: %d labels, %d training examples (%d batches/epoch), %d eval examples\n", st.labels, len(trX), ld.Batches(), len(evX))
	return train.RunStage(ctx, env, cfg.Train, ckpt, train.Stage[labeledBatch](st), ld)
}
