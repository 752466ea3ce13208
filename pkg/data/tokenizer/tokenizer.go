// Package tokenizer turns text into token ids and back, with Hugging Face
// parity for BERT WordPiece, GPT-2 byte-level BPE and SentencePiece Unigram
// (T5, mT5, Llama-style tokenizer.json and spiece.model; TrainUnigram trains
// one). It is pure Go: it never imports gotch and its tests run without
// libtorch.
//
// NewBert, NewGPT2, FromTokenizerJSON and Load build a Pipeline, HF's
// tokenizer stages in HF's order (added tokens, normalizer, pre-tokenizer,
// model, post-processor, decoder). From github.com/sugarme/tokenizer it takes
// the WordPiece model and GPT-2's byte alphabet; the other stages are written
// here because the library's differ from HF tokenizers 0.20 (accent stripping
// without NFD, ASCII-only whitespace, BPE ties, the GPT-2 split pattern,
// dropped added tokens, panics in Decode and EncodeBatch). parity_test.go
// checks ids, type ids, offsets and decodes against HF on 2,000 texts of
// ../shared and over 200 hand-written cases; charclass_test.go checks every
// Unicode code point.
package tokenizer

// Tokenizer is what the rest of gotrl needs from a tokenizer. Ids are int64
// because they become int64 tensors on the model side.
type Tokenizer interface {
	// Encode tokenizes one text. With addSpecial the model's template is
	// applied ([CLS] text [SEP] for BERT; nothing for GPT-2, as in HF).
	Encode(text string, addSpecial bool) (Encoding, error)
	// EncodePair tokenizes a pair ([CLS] a [SEP] b [SEP] with type ids 0/1 for BERT).
	EncodePair(a, b string, addSpecial bool) (Encoding, error)
	// Decode turns ids back into text the way HF's decode does (WordPiece
	// "##" merge and space cleanup; BERT, like HF, puts spaces between CJK
	// characters); special tokens are dropped when skipSpecial is set.
	Decode(ids []int64, skipSpecial bool) string
	// TokenToID and IDToToken look up single vocabulary entries.
	TokenToID(tok string) (int64, bool)
	IDToToken(id int64) (string, bool)
	VocabSize() int
	// Special returns the special-token ids; absent ones are -1.
	Special() Specials
}

// Encoding is one tokenized text or pair.
type Encoding struct {
	IDs     []int64
	TypeIDs []int64  // segment ids; all zero for single texts
	Offsets [][2]int // [start,end) rune offsets into the input text, per token ([0,0] for added specials)
	Tokens  []string // the token strings, for debugging and rendering
}

// Specials holds the ids of special tokens; -1 means the vocabulary has none.
type Specials struct {
	PAD, UNK, CLS, SEP, MASK, BOS, EOS int64
}
