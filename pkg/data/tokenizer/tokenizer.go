// Package tokenizer turns text into token ids and back, with Hugging Face
// parity for BERT WordPiece and GPT-2 byte-level BPE. It is pure Go: it
// never imports gotch and its tests run without libtorch.
package tokenizer

// Tokenizer is what the rest of gotrl needs from a tokenizer. Ids are int64
// because they become int64 tensors on the model side.
type Tokenizer interface {
	// Encode tokenizes one text. With addSpecial the model's template is
	// applied ([CLS] text [SEP] for BERT; nothing for GPT-2, as in HF).
	Encode(text string, addSpecial bool) (Encoding, error)
	// EncodePair tokenizes a pair ([CLS] a [SEP] b [SEP] with type ids 0/1 for BERT).
	EncodePair(a, b string, addSpecial bool) (Encoding, error)
	// Decode turns ids back into text the way HF's tokenizer decoders do
	// (WordPiece "##" merge, no spaces between CJK characters); special
	// tokens are dropped when skipSpecial is set.
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
