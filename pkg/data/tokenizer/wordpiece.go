package tokenizer

import (
	"fmt"

	"github.com/sugarme/tokenizer/model"
	"github.com/sugarme/tokenizer/model/wordpiece"
)

// wordPiece wraps sugarme/tokenizer's WordPiece model, whose greedy
// longest-match-first is HF's (tokenizers/src/models/wordpiece): a word longer
// than maxInputCharsPerWord runes, or one with a piece missing from the
// vocabulary, becomes the unknown token.
type wordPiece struct {
	wp *wordpiece.WordPiece
}

// wordPieceOptions are the WordPiece model fields of an HF tokenizer.json.
type wordPieceOptions struct {
	unkToken             string
	prefix               string // continuing_subword_prefix, "##"
	maxInputCharsPerWord int
}

var defaultWordPiece = wordPieceOptions{unkToken: "[UNK]", prefix: "##", maxInputCharsPerWord: 100}

func newWordPiece(vocab map[string]int64, o wordPieceOptions) (*wordPiece, error) {
	if _, ok := vocab[o.unkToken]; !ok {
		return nil, fmt.Errorf("wordpiece: unknown token %q is not in the vocabulary", o.unkToken)
	}
	v := make(model.Vocab, len(vocab))
	for tok, id := range vocab {
		v[tok] = int(id)
	}
	wp := wordpiece.NewWordPieceBuilder().
		Vocab(&v).
		UnkToken(o.unkToken).
		ContinuingSubwordPrefix(o.prefix).
		MaxInputCharsPerWord(o.maxInputCharsPerWord).
		Build()
	return &wordPiece{wp: &wp}, nil
}

// piece is one model token with its [start, end) rune range in the word.
type piece struct {
	id         int64
	start, end int
}

func (w *wordPiece) tokenize(word []rune) ([]piece, error) {
	toks, err := w.wp.Tokenize(string(word))
	if err != nil {
		return nil, fmt.Errorf("wordpiece %q: %w", string(word), err)
	}
	out := make([]piece, len(toks))
	for i, t := range toks {
		out[i] = piece{id: int64(t.Id), start: t.Offsets[0], end: t.Offsets[1]}
	}
	return out, nil
}
