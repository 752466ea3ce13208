package rlhf

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/train"
)

// Pretrain trains a model from a text corpus with its family's objective:
// next-token prediction for GPT-2 (HF run_clm: documents joined by a
// separator and cut into max_length blocks), masked LM for BERT (run_mlm:
// 80/10/10, optional whole-word masking, masks redrawn every epoch) and
// span corruption for T5 (run_t5_mlm).
func Pretrain(ctx context.Context, cfg PretrainConfig, env train.Env) (train.State, error) {
	if err := cfg.Validate(); err != nil {
		return train.State{}, err
	}
	ckpt, err := start(env, cfg.Train, "pretrain", &cfg.Model, cfg.PEFT, cfg)
	if err != nil {
		return train.State{}, err
	}
	tok, err := openTokenizer(env, cfg.Data.Tokenizer)
	if err != nil {
		return train.State{}, err
	}
	docs, evalDocs, err := splitEval(cfg.Data, cfg.Train.Seed, func(p string) ([]doc, error) { return readDocs(p, cfg) })
	if err != nil {
		return train.State{}, err
	}
	env.Logf("pretrain: %d training and %d eval documents\n", len(docs), len(evalDocs))
	m, err := openModel(cfg.Model, tok, env, models.Options{Task: models.TaskLM}, &cfg.Data.MaxLen)
	if err != nil {
		return train.State{}, err
	}
	defer m.Close()
	lm, err := asLM(m, "pretrain", models.Causal, models.Masked, models.Seq2Seq)
	if err != nil {
		return train.State{}, err
	}
	ad, err := applyPEFT(cfg.PEFT, m, cfg.Model, peftCheckpoint(cfg.PEFT, ckpt), env)
	if err != nil {
		return train.State{}, err
	}
	t := tuning{adapter: ad, generation: cfg.Model.Init}
	obj := cfg.Objective
	if obj == "" {
		obj = objectiveOf[lm.Kind()]
	}
	if want := objectiveOf[lm.Kind()]; obj != want {
		return train.State{}, fmt.Errorf("pretrain: objective %s needs a %s model; this one is %s (objective %s)", obj, kindOf(obj), lm.Kind(), want)
	}
	switch obj {
	case Causal:
		return pretrainCausal(ctx, cfg, env, ckpt, tok, lm, t, docs, evalDocs)
	case MLM:
		return pretrainMLM(ctx, cfg, env, ckpt, tok, lm, t, docs, evalDocs)
	}
	return pretrainSpan(ctx, cfg, env, ckpt, tok, lm, t, docs, evalDocs)
}

// objectiveOf is each kind of language model's pretraining objective.
var objectiveOf = map[models.LMKind]Objective{models.Causal: Causal, models.Masked: MLM, models.Seq2Seq: Span}

func kindOf(o Objective) models.LMKind {
	for k, v := range objectiveOf {
		if v == o {
			return k
		}
	}
	return ""
}

// doc is one document of the corpus.
type doc struct{ Text string }

func (doc) GroupKey() string { return "" }

// readDocs reads a corpus (data.ReadTexts: .txt lines or a record field).
func readDocs(path string, cfg PretrainConfig) ([]doc, error) {
	opt, err := readOptions(cfg.Data)
	if err != nil {
		return nil, err
	}
	texts, err := data.ReadTexts(path, cfg.TextField, opt)
	if err != nil {
		return nil, err
	}
	out := make([]doc, len(texts))
	for i, t := range texts {
		out[i] = doc{t}
	}
	return out, nil
}

// encodeDocs tokenizes documents without specials.
func encodeDocs(tok tokenizer.Tokenizer, docs []doc) ([][]int64, error) {
	out := make([][]int64, len(docs))
	for i, d := range docs {
		e, err := tok.Encode(d.Text, false)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		out[i] = e.IDs
	}
	return out, nil
}

// blocks joins documents with sep (when ≥ 0) and cuts the stream into
// blocks of n tokens, dropping the remainder (run_clm's group_texts).
func blocks(docs [][]int64, sep int64, n int) []data.Encoded {
	var stream []int64
	for _, d := range docs {
		stream = append(stream, d...)
		if sep >= 0 {
			stream = append(stream, sep)
		}
	}
	var out []data.Encoded
	for i := 0; i+n <= len(stream); i += n {
		b := stream[i : i+n]
		out = append(out, data.Encoded{IDs: b, TypeIDs: make([]int64, n), Labels: b})
	}
	return out
}

func pretrainCausal(ctx context.Context, cfg PretrainConfig, env train.Env, ckpt string, tok tokenizer.Tokenizer, lm models.LM, t tuning, docs, evalDocs []doc) (train.State, error) {
	sep := Tokens(tok).EOS // [SEP]: the book's Chinese GPT-2 uses BERT's vocabulary
	tr, ev, err := encodeBlocks(tok, docs, evalDocs, sep, cfg.Data.MaxLen)
	if err != nil {
		return train.State{}, err
	}
	if len(tr) == 0 {
		return train.State{}, fmt.Errorf("pretrain: the corpus has fewer than max_length=%d tokens", cfg.Data.MaxLen)
	}
	st := &lmStage[data.Batch]{name: "pretrain causal", m: lm, logits: causalLogits(lm), tokens: tokens, items: labelledBatch(1), tuning: t}
	if st.eval, err = batches(ev, cfg.Train.BatchSize, data.Collator{}); err != nil {
		return train.State{}, err
	}
	return runBatches(ctx, cfg.Train, env, ckpt, st, tr, data.Collator{}, nil)
}

func encodeBlocks(tok tokenizer.Tokenizer, docs, evalDocs []doc, sep int64, n int) (tr, ev []data.Encoded, err error) {
	ids, err := encodeDocs(tok, docs)
	if err != nil {
		return nil, nil, err
	}
	evIDs, err := encodeDocs(tok, evalDocs)
	if err != nil {
		return nil, nil, err
	}
	return blocks(ids, sep, n), blocks(evIDs, sep, n), nil
}

// runBatches trains st on encoded examples through a shuffled loader; f,
// when set, transforms every training batch given its cursor.
func runBatches(ctx context.Context, tc train.Config, env train.Env, ckpt string, st *lmStage[data.Batch], tr []data.Encoded, c data.Collator, f func(*data.Batch, data.Cursor)) (train.State, error) {
	ld, err := data.NewLoader(tr, shuffled(env, tc), c)
	if err != nil {
		return train.State{}, err
	}
	var d train.Data[data.Batch] = ld
	if f != nil {
		d = mappedLoader{ld, f}
	}
	env.Logf("%s: %d training examples (%d batches/epoch), %d eval batches\n", st.name, len(tr), ld.Batches(), len(st.eval))
	return train.RunStage(ctx, env, tc, ckpt, train.Stage[data.Batch](st), d)
}

// mappedLoader applies a per-batch transform keyed by the batch's cursor
// (dynamic masking that a resumed run redraws identically).
type mappedLoader struct {
	*data.Loader
	f func(*data.Batch, data.Cursor)
}

func (m mappedLoader) Next(c data.Cursor) (data.Batch, data.Cursor, error) {
	b, next, err := m.Loader.Next(c)
	if err == nil {
		m.f(&b, c)
	}
	return b, next, err
}

func pretrainMLM(ctx context.Context, cfg PretrainConfig, env train.Env, ckpt string, tok tokenizer.Tokenizer, lm models.LM, t tuning, docs, evalDocs []doc) (train.State, error) {
	sp := tok.Special()
	if sp.MASK < 0 {
		return train.State{}, fmt.Errorf("pretrain mlm: the tokenizer has no [MASK] token")
	}
	enc := &data.Encoder{Tok: tok, MaxLen: cfg.Data.MaxLen}
	encode := func(ds []doc) ([]data.Encoded, error) {
		ex := make([]data.Example, len(ds))
		for i, d := range ds {
			ex[i] = data.Example{Prompt: d.Text}
		}
		return enc.EncodePrompts(ex)
	}
	tr, err := encode(docs)
	if err != nil {
		return train.State{}, err
	}
	ev, err := encode(evalDocs)
	if err != nil {
		return train.State{}, err
	}
	o := data.MaskOptions{
		Prob: cfg.MLMProb, WholeWord: cfg.WholeWord, MaskID: sp.MASK, Vocab: int64(tok.VocabSize()),
		Special:   func(id int64) bool { return id == sp.CLS || id == sp.SEP || id == sp.PAD },
		Continues: func(id int64) bool { t, _ := tok.IDToToken(id); return strings.HasPrefix(t, "##") },
	}
	pad, err := data.PadID(sp)
	if err != nil {
		return train.State{}, err
	}
	// Each row draws from its own stream, keyed by its position in the
	// global batch (row0 is this rank's first), so W ranks mask exactly
	// what one process with the whole batch does.
	mask := func(b *data.Batch, seed uint64, row0 int) {
		for i, row := range b.InputIDs {
			rng := rand.New(rand.NewPCG(seed, 0x6d6c6d<<32|uint64(row0+i)))
			n := b.Lens[i]
			in, lb := data.Mask(row[:n], o, rng)
			copy(b.InputIDs[i], in)
			copy(b.Labels[i], lb)
		}
	}
	// eval batches are masked once, with a fixed seed, so eval loss is comparable across steps
	evalSeed := uint64(tensor.StepSeed(cfg.Train.Seed, -1))
	st := &lmStage[data.Batch]{name: "pretrain masked", m: lm, logits: maskedLogits(lm), tokens: tokens, items: labelledBatch(0), tuning: t}
	c := data.Collator{PadID: pad}
	evb, err := batches(ev, cfg.Train.BatchSize, c)
	if err != nil {
		return train.State{}, err
	}
	for i := range evb { // keyed by example, so any batch size masks alike
		mask(&evb[i], evalSeed, i*cfg.Train.BatchSize)
	}
	st.eval = evb
	return runBatches(ctx, cfg.Train, env, ckpt, st, tr, c, func(b *data.Batch, cur data.Cursor) {
		mask(b, uint64(tensor.StepSeed(cfg.Train.Seed, int64(cur.Epoch)<<32|int64(cur.Index))), env.Dist.Rank()*len(b.InputIDs))
	})
}

func pretrainSpan(ctx context.Context, cfg PretrainConfig, env train.Env, ckpt string, tok tokenizer.Tokenizer, lm models.LM, t tuning, docs, evalDocs []doc) (train.State, error) {
	if _, ok := tok.TokenToID("<extra_id_0>"); !ok {
		return train.State{}, fmt.Errorf("pretrain span: the tokenizer has no <extra_id_0> sentinel")
	}
	o := data.SpanOptions{
		Density: cfg.NoiseDensity, MeanSpan: cfg.MeanSpan, EOS: tok.Special().EOS,
		Sentinel: func(k int) int64 { id, _ := tok.TokenToID(fmt.Sprintf("<extra_id_%d>", k)); return id },
	}
	// Corrupt once per example with a seeded stream: the pairs are data.
	corrupt := func(ds []doc, stream uint64) (in, out []data.Encoded, err error) {
		enc, err := encodeDocs(tok, ds)
		if err != nil {
			return nil, nil, err
		}
		rng := rand.New(rand.NewPCG(uint64(cfg.Train.Seed), stream))
		for _, b := range blocks(enc, -1, cfg.Data.MaxLen-2) {
			x, y, err := data.CorruptSpans(b.IDs, o, rng)
			if err != nil {
				return nil, nil, err
			}
			in = append(in, data.Encoded{IDs: x, TypeIDs: make([]int64, len(x)), Labels: x})
			out = append(out, data.Encoded{IDs: y, TypeIDs: make([]int64, len(y)), Labels: y})
		}
		return in, out, nil
	}
	trIn, trOut, err := corrupt(docs, 1)
	if err != nil {
		return train.State{}, err
	}
	evIn, evOut, err := corrupt(evalDocs, 2)
	if err != nil {
		return train.State{}, err
	}
	c := data.Collator{PadID: lm.Tokens().Pad}
	st := &lmStage[pairBatch]{name: "pretrain seq2seq", m: lm, logits: seq2seqLogits(lm), tokens: pairTokens, items: pairItems, tuning: t}
	if st.eval, err = pairBatches(evIn, evOut, cfg.Train.BatchSize, c); err != nil {
		return train.State{}, err
	}
	ld, err := newPairLoader(trIn, trOut, shuffled(env, cfg.Train), c)
	if err != nil {
		return train.State{}, err
	}
	env.Logf("pretrain t5: %d training pairs, %d eval pairs\n", len(trIn), len(evIn))
	return train.RunStage(ctx, env, cfg.Train, ckpt, train.Stage[pairBatch](st), ld)
}

// CausalStage is the causal-LM stage over a model built by the caller (the
// training benchmark uses it to time exactly what pretraining runs).
func CausalStage(lm models.LM) train.Stage[data.Batch] {
	return &lmStage[data.Batch]{name: "pretrain causal", m: lm, logits: causalLogits(lm), tokens: tokens, items: labelledBatch(1)}
}
