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
func openModel(src models.Source, tok tokenizer.Tokenizer, env train.Env, o models.Options) (models.Model, error) {
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
	return m, nil
}

// CheckVocab refuses a tokenizer with more tokens than the model's
// vocabulary: its extra ids could not be embedded, and text would come out
// silently wrong. A model larger than its tokenizer is fine (HF pads
// vocabularies to a multiple of 8 or 64).
func CheckVocab(tok tokenizer.Tokenizer, m models.Model) error {
	var vocab int64
	switch d := m.(type) {
	case models.LM:
		vocab = d.Dims().Vocab
	case models.Classifier:
		vocab = d.Dims().Vocab
	}
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
