package reward

import (
	"context"
	"fmt"
	"slices"

	_ "github.com/gotrl/gotrl/pkg/models/all" // the stages load every family

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// Input says how a reward model reads a sample.
type Input string

const (
	// Pair is (prompt, response) as `gotrl rm` trains on it:
	// [CLS] prompt [SEP] response [SEP] (prompt response <eos> for BPE).
	Pair Input = "pair"
	// Text is query and response as one text, as TRL's sentiment example
	// scores a review's continuation with a classification pipeline.
	Text Input = "text"
)

// Output is the number a model's logits give as the reward.
type Output string

const (
	Logit       Output = "logit"       // the label's logit
	Probability Output = "probability" // the label's softmax probability
)

// Options configure Open. Zero values take the defaults.
type Options struct {
	Device gotch.Device
	// Tokenizer is the reward model's own tokenizer (a directory or file);
	// "" reads the model directory's.
	Tokenizer string
	// Label is the class whose logit or probability is the reward (a
	// classifier's "positive"); a reward model has the one label 0.
	Label  int
	Input  Input  // "" = pair for one-label reward models, text for classifiers
	Output Output // "" = logit
	// MaxLength caps a scored input's tokens (default: the model's
	// position limit, else 512; more than the limit is an error); longer
	// inputs lose their prompt's tail.
	MaxLength int
	BatchSize int // rows per forward pass (default 16)
}

func (o *Options) resolve(c models.Classifier) error {
	switch o.Output {
	case "":
		o.Output = Logit
	case Logit, Probability:
	default:
		return fmt.Errorf("reward output %q: want logit or probability", o.Output)
	}
	switch o.Input {
	case "":
		o.Input = Text
		if c.NumLabels() == 1 {
			o.Input = Pair
		}
	case Pair, Text:
	default:
		return fmt.Errorf("reward input %q: want pair or text", o.Input)
	}
	if n := c.NumLabels(); o.Label < 0 || o.Label >= n {
		return fmt.Errorf("reward label %d: the model has %d label(s)", o.Label, n)
	}
	p := c.Dims().MaxPositions
	switch {
	case p > 0 && int64(o.MaxLength) > p:
		return fmt.Errorf("max_length %d (--max-length) is more than the model's %d positions: its inputs could not be embedded", o.MaxLength, p)
	case o.MaxLength <= 0 && p > 0:
		o.MaxLength = int(p)
	case o.MaxLength <= 0:
		o.MaxLength = 512
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 16
	}
	return nil
}

// Model is a reward model or classifier of any family with its own
// tokenizer. It scores text (Score) and, once bound to a policy's
// tokenizer, the policy's token ids (Rewards).
type Model struct {
	dir  string
	clf  models.Classifier
	tok  tokenizer.Tokenizer
	enc  *data.Encoder
	pad  int64
	opts Options

	policy    tokenizer.Tokenizer // Bind's
	sameVocab bool
}

var _ Scorer = (*Model)(nil)

// Open loads the classifier in dir and its tokenizer: TaskReward for a
// checkpoint with TRL's value head (an encoder's `gotrl rm` output: a
// BertModel or RobertaModel file plus v_head.*), else TaskClassifier.
func Open(dir string, o Options) (*Model, error) {
	tokPath := o.Tokenizer
	if tokPath == "" {
		tokPath = dir
	}
	tok, err := tokenizer.Open(tokPath)
	if err != nil {
		return nil, fmt.Errorf("reward model %s: %w", dir, err)
	}
	pad, err := data.PadID(tok.Special())
	if err != nil {
		return nil, fmt.Errorf("reward model %s: %w", dir, err)
	}
	task := models.TaskClassifier
	if hasValueHead(dir) {
		task = models.TaskReward
	}
	m, err := models.Load(dir, models.Options{Device: o.Device, Task: task,
		Tokens: &models.Tokens{BOS: -1, EOS: -1, Pad: pad, DecoderStart: -1}})
	if err != nil {
		return nil, fmt.Errorf("reward model: %w", err)
	}
	clf, ok := m.(models.Classifier)
	if !ok {
		m.Close()
		return nil, fmt.Errorf("reward model %s: %T is not a sequence classifier", dir, m)
	}
	if err := o.resolve(clf); err != nil {
		m.Close()
		return nil, fmt.Errorf("reward model %s: %w", dir, err)
	}
	if v := clf.Dims().Vocab; int64(tok.VocabSize()) > v {
		m.Close()
		return nil, fmt.Errorf("reward model %s: its tokenizer has %d tokens, the model's vocab_size is %d", dir, tok.VocabSize(), v)
	}
	enc := &data.Encoder{Tok: tok, MaxLen: o.MaxLength}
	return &Model{dir: dir, clf: clf, tok: tok, enc: enc, pad: pad, opts: o}, nil
}

// hasValueHead reports whether dir's checkpoint holds TRL's value head. A
// directory without a readable checkpoint (a PEFT adapter's) has none:
// models.Load reports what it lacks.
func hasValueHead(dir string) bool {
	ck, err := weights.Open(dir)
	if err != nil {
		return false
	}
	defer ck.Close()
	return slices.Contains(ck.Names(), "v_head.summary.weight")
}

// Close frees the model.
func (m *Model) Close() { m.clf.Close() }

// Options returns the resolved options.
func (m *Model) Options() Options { return m.opts }

// Bind sets the tokenizer of the policy whose ids Rewards receives. When
// both tokenizers have the same vocabulary the ids are used as they are
// (the policy's specials stripped, the reward's template added);
// otherwise each sample is decoded to text and re-encoded by the reward's
// tokenizer, as TRL's sentiment example hands text to a pipeline.
func (m *Model) Bind(policy tokenizer.Tokenizer) {
	m.policy = policy
	m.sameVocab = sameVocab(policy, m.tok)
}

// IDLevel reports whether Rewards passes ids through (same vocabulary).
func (m *Model) IDLevel() bool { return m.sameVocab }

// Score rewards each (prompt, response) text; prompts may be empty. It is
// the scoring `gotrl rm score` prints and what PPO's text hand-off calls.
func (m *Model) Score(ctx context.Context, prompts, responses []string) ([]float64, error) {
	rs, _, err := m.Classify(ctx, prompts, responses)
	return rs, err
}

// Classify is Score that also returns each input's most likely label (the
// argmax of the classifier's logits; always 0 for a one-output reward
// model), so a sentiment classifier used as a reward can be checked on a
// labelled test set with the same encoding PPO uses.
func (m *Model) Classify(ctx context.Context, prompts, responses []string) ([]float64, []int, error) {
	if len(prompts) != len(responses) {
		return nil, nil, fmt.Errorf("reward: %d prompts, %d responses", len(prompts), len(responses))
	}
	xs := make([]data.Encoded, len(prompts))
	for i := range prompts {
		var err error
		if m.opts.Input == Pair {
			xs[i], err = m.enc.Pair(prompts[i], responses[i])
		} else {
			xs[i], err = m.enc.Single(prompts[i] + responses[i])
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reward: sample %d: %w", i, err)
		}
	}
	return m.score(ctx, xs)
}

// Rewards scores the policy's samples (see Bind).
func (m *Model) Rewards(ctx context.Context, queries, responses [][]int64) ([]float64, error) {
	if m.policy == nil {
		return nil, fmt.Errorf("reward model %s: no policy tokenizer bound", m.dir)
	}
	if len(queries) != len(responses) {
		return nil, fmt.Errorf("reward: %d queries, %d responses", len(queries), len(responses))
	}
	if !m.sameVocab {
		prompts, texts := make([]string, len(queries)), make([]string, len(queries))
		for i := range queries {
			prompts[i] = tokenizer.Text(m.policy, queries[i])
			texts[i] = tokenizer.Text(m.policy, responses[i])
		}
		return m.Score(ctx, prompts, texts)
	}
	sp := m.policy.Special()
	xs := make([]data.Encoded, len(queries))
	for i := range queries {
		q, r := stripSpecial(queries[i], sp), stripSpecial(responses[i], sp)
		var err error
		if m.opts.Input == Pair {
			xs[i], err = m.enc.PairIDs(q, r)
		} else {
			xs[i], err = m.enc.SingleIDs(append(slices.Clip(q), r...))
		}
		if err != nil {
			return nil, fmt.Errorf("reward: sample %d: %w", i, err)
		}
	}
	rs, _, err := m.score(ctx, xs)
	return rs, err
}

// score runs the classifier over encoded inputs in batches, without
// gradients, and reads the configured label and the argmax label.
func (m *Model) score(ctx context.Context, xs []data.Encoded) ([]float64, []int, error) {
	out := make([]float64, 0, len(xs))
	labels := make([]int, 0, len(xs))
	dev := m.clf.Store().Device()
	c := data.Collator{PadID: m.pad}
	for lo := 0; lo < len(xs); lo += m.opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		b, err := c.Collate(xs[lo:min(lo+m.opts.BatchSize, len(xs))])
		if err != nil {
			return nil, nil, err
		}
		var vals []float64
		var argmax []int64
		err = tensor.NoGrad(func() {
			s := tensor.NewScope()
			defer s.Close()
			in := models.Input{
				IDs:     s.T(tensor.FromRows(b.InputIDs, dev)),
				Mask:    s.T(tensor.FromRows(b.AttentionMask, dev)),
				TypeIDs: s.T(tensor.FromRows(b.TypeIDs, dev)),
			}
			logits := s.T(m.clf.Classify(in, false)) // [B, labels]
			argmax, err = tensor.Int64s(s.T(logits.Argmax([]int64{-1}, false, false)))
			tensor.Check(err)
			if m.opts.Output == Probability {
				logits = s.T(logits.Softmax(-1, gotch.Float, false))
			}
			col := s.T(logits.Select(1, int64(m.opts.Label), false))
			vals, err = tensor.Float64s(col)
			tensor.Check(err)
		})
		if err != nil {
			return nil, nil, fmt.Errorf("reward model %s: %w", m.dir, err)
		}
		out = append(out, vals...)
		for _, a := range argmax {
			labels = append(labels, int(a))
		}
	}
	return out, labels, nil
}

// sameVocab reports whether a and b map every id to the same token.
func sameVocab(a, b tokenizer.Tokenizer) bool {
	if a.VocabSize() != b.VocabSize() || a.Special() != b.Special() {
		return false
	}
	for id := range int64(a.VocabSize()) {
		ta, oka := a.IDToToken(id)
		tb, okb := b.IDToToken(id)
		if ta != tb || oka != okb {
			return false
		}
	}
	return true
}

// stripSpecial drops the template's special tokens ([CLS], [SEP], pad,
// bos, eos, mask) from a policy sample; [UNK] stays.
func stripSpecial(ids []int64, sp tokenizer.Specials) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		switch id {
		case sp.PAD, sp.CLS, sp.SEP, sp.BOS, sp.EOS, sp.MASK:
			continue
		}
		out = append(out, id)
	}
	return out
}
