package rlhf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gotrl/gotrl/pkg/data"
	_ "github.com/gotrl/gotrl/pkg/models/all" // the stages load every family

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/train"
)

// openModel opens a stage's model for task with the tokenizer's special
// ids (a config that names none, or ids outside its vocabulary, gets the
// tokenizer's: said on the log) and refuses a tokenizer with more tokens
// than the model's vocabulary, whose extra ids the model could not embed.
//
// A *maxLen beyond the model's positions is capped at them, and the log
// says so, as HF's example scripts cap max_seq_length and block_size at
// model_max_length: the longer inputs could not be embedded, and the run
// would fail at the first batch holding one.
func openModel(src models.Source, tok tokenizer.Tokenizer, env train.Env, o models.Options, maxLen *int) (models.Model, error) {
	o.Device = env.Device
	t := Tokens(tok)
	o.Tokens = &t
	o.Warn = func(msg string) { env.Logf("model: %s\n", msg) }
	m, err := src.Open(o)
	if err != nil {
		return nil, err
	}
	if err := CheckVocab(tok, m); err != nil {
		m.Close()
		return nil, err
	}
	if p := dims(m).MaxPositions; p > 0 && int64(*maxLen) > p {
		env.Logf("max_length %d is more than the model's %d positions: using max_length=%d\n", *maxLen, p, p)
		*maxLen = int(p)
	}
	return m, nil
}

// dims is a language model's or classifier's dimensions (zero otherwise).
func dims(m models.Model) models.Dims {
	switch d := m.(type) {
	case models.LM:
		return d.Dims()
	case models.Classifier:
		return d.Dims()
	}
	return models.Dims{}
}

// CheckVocab refuses a tokenizer with more tokens than the model's
// vocabulary: its extra ids could not be embedded, and text would come out
// silently wrong. A model larger than its tokenizer is fine (HF pads
// vocabularies to a multiple of 8 or 64).
func CheckVocab(tok tokenizer.Tokenizer, m models.Model) error {
	vocab := dims(m).Vocab
	if n := int64(tok.VocabSize()); vocab > 0 && n > vocab {
		return fmt.Errorf("the tokenizer has %d tokens but the model's vocab_size is %d: ids from %d on could not be embedded (use the model's own tokenizer)", n, vocab, vocab)
	}
	return nil
}

// Tokens are a tokenizer's special ids as a model config names them: a
// BERT vocabulary (the book's Chinese GPT-2 and T5 use one) has no bos or
// eos, so [CLS] and [SEP] play those parts.
func Tokens(tok tokenizer.Tokenizer) models.Tokens {
	sp := tok.Special()
	return models.Tokens{BOS: data.BOS(sp), EOS: data.EOS(sp), Pad: sp.PAD, DecoderStart: -1}
}

// asLM returns m as a language model of one of the kinds, or an error
// naming what the stage needs.
func asLM(m models.Model, stage string, kinds ...models.LMKind) (models.LM, error) {
	lm, ok := m.(models.LM)
	if !ok {
		return nil, fmt.Errorf("%s: the model is not a language model", stage)
	}
	if slices.Contains(kinds, lm.Kind()) {
		return lm, nil
	}
	return nil, fmt.Errorf("%s: the model is a %s language model; %s trains %s ones", stage, lm.Kind(), stage, kindNames(kinds))
}

// kindNames lists kinds as "causal (decoders) or seq2seq (encoder-decoders)".
func kindNames(kinds []models.LMKind) string {
	what := map[models.LMKind]string{models.Causal: "decoders", models.Masked: "encoders", models.Seq2Seq: "encoder-decoders"}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s (%s)", k, what[k]))
	}
	return strings.Join(parts, " or ")
}
