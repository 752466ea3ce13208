package tokenizer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sugarme/tokenizer/pretokenizer"
)

// Kind is a tokenizer model that can be trained (gotrl tokenizer train --model).
type Kind string

const (
	KindWordPiece Kind = "wordpiece" // BERT's WordPiece, as HF's BertWordPieceTokenizer trains it
	KindBPE       Kind = "bpe"       // GPT-2's byte-level BPE, as HF's ByteLevelBPETokenizer trains it
	KindUnigram   Kind = "unigram"   // SentencePiece Unigram (SentencePieceUnigramTokenizer)
)

// Kinds lists every kind, for help texts and errors.
var Kinds = []Kind{KindWordPiece, KindBPE, KindUnigram}

// ParseKind checks a --model value.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(s))
	if slices.Contains(Kinds, k) {
		return k, nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown tokenizer model %q (want %s)", s, strings.Join(names, ", "))
}

// Trained is a freshly trained tokenizer: its vocabulary and merges and the
// pipeline it was trained for. Save writes it in HF's layout.
type Trained struct {
	Kind    Kind
	Vocab   []string    // tokens by id
	Merges  [][2]string // BPE merges in rank order; nil for WordPiece
	Special []string    // special tokens, the first ids of Vocab
	Texts   int         // texts trained on
	Words   int         // distinct pre-tokenized words in them

	wordPiece *WordPieceOptions // the settings the pipeline is saved with
	bpe       *BPEOptions
}

// WordPieceOptions are BertWordPieceTokenizer's constructor and train()
// arguments (tokenizers/implementations/bert_wordpiece.py); the defaults are
// DefaultWordPieceOptions.
type WordPieceOptions struct {
	VocabSize     int      // target size, special tokens included (30000)
	MinFrequency  int      // pairs seen fewer times are never merged (2)
	LimitAlphabet int      // most frequent characters kept (1000); 0 keeps all
	SpecialTokens []string // get the first ids, in order ([PAD] [UNK] [CLS] [SEP] [MASK])
	UnkToken      string   // the model's unknown token; must be a special token ([UNK])
	Prefix        string   // continuing-subword prefix (##)

	// BertNormalizer switches (clean_text, handle_chinese_chars, lowercase,
	// strip_accents); StripAccents nil follows Lowercase, as HF's None does.
	CleanText, ChineseChars, Lowercase bool
	StripAccents                       *bool

	Workers  int                     // goroutines splitting texts; 0: GOMAXPROCS
	Progress func(vocab, target int) // called after every merge; may be nil

	order *hfOrder // tests: replay a recorded HF run's HashMap order
}

// DefaultWordPieceOptions are BertWordPieceTokenizer's defaults.
func DefaultWordPieceOptions() WordPieceOptions {
	return WordPieceOptions{
		VocabSize: 30000, MinFrequency: 2, LimitAlphabet: 1000,
		SpecialTokens: slices.Clone(bertSpecials), UnkToken: "[UNK]", Prefix: "##",
		CleanText: true, ChineseChars: true, Lowercase: true,
	}
}

func (o WordPieceOptions) normalizer() *bertNormalizer {
	strip := o.Lowercase
	if o.StripAccents != nil {
		strip = *o.StripAccents
	}
	return &bertNormalizer{cleanText: o.CleanText, chineseChars: o.ChineseChars, stripAccents: strip, lowercase: o.Lowercase}
}

// TrainWordPiece trains a WordPiece vocabulary on src as HF's
// WordPieceTrainer does: the texts are normalized and split as BERT does,
// a BPE with the "##" prefix is learned on the words, and its vocabulary is
// the WordPiece vocabulary.
func TrainWordPiece(src Source, o WordPieceOptions) (*Trained, error) {
	if !slices.Contains(o.SpecialTokens, o.UnkToken) {
		return nil, fmt.Errorf("train wordpiece: unknown token %q is not among the special tokens %q", o.UnkToken, o.SpecialTokens)
	}
	if o.Prefix == "" {
		return nil, errors.New("train wordpiece: empty continuing-subword prefix")
	}
	c := bpeConfig{
		vocabSize: o.VocabSize, minFrequency: int64(o.MinFrequency), specials: o.SpecialTokens,
		limitAlphabet: o.LimitAlphabet, prefix: o.Prefix, order: o.order,
	}
	if err := checkBPEConfig(c); err != nil {
		return nil, fmt.Errorf("train wordpiece: %w", err)
	}
	norm := o.normalizer()
	words, texts, err := countWords(src, o.Workers, func(text string, add func([]byte)) {
		t := norm.normalize(newNormText([]rune(text), 0))
		var buf []byte
		for _, w := range bertSplit(t.runes) {
			buf = appendRunes(buf[:0], t.runes[w[0]:w[1]])
			add(buf)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("train wordpiece: %w", err)
	}
	r := trainBPE(words, c, progressTo(o.Progress, o.VocabSize))
	return &Trained{Kind: KindWordPiece, Vocab: r.vocab, Special: dedupe(o.SpecialTokens), Texts: texts, Words: len(words), wordPiece: &o}, nil
}

// BPEOptions are ByteLevelBPETokenizer's constructor and train() arguments
// (tokenizers/implementations/byte_level_bpe.py); the defaults are
// DefaultBPEOptions.
type BPEOptions struct {
	VocabSize      int      // target size, special tokens and the 256 bytes included (30000)
	MinFrequency   int      // pairs seen fewer times are never merged (2)
	SpecialTokens  []string // get the first ids, in order (none)
	AddPrefixSpace bool     // a text not starting with a space gets one (false)
	Lowercase      bool     // a Lowercase normalizer (false)
	MaxTokenLength int      // BpeTrainer's max_token_length in characters; 0: none

	Workers  int                     // goroutines splitting texts; 0: GOMAXPROCS
	Progress func(vocab, target int) // called after every merge; may be nil
}

// DefaultBPEOptions are ByteLevelBPETokenizer's defaults.
func DefaultBPEOptions() BPEOptions {
	return BPEOptions{VocabSize: 30000, MinFrequency: 2}
}

// TrainBPE trains a byte-level BPE on src as HF's BpeTrainer does under
// ByteLevelBPETokenizer: texts are split with GPT-2's pattern, words are
// spelled in GPT-2's byte alphabet, and all 256 byte characters are in the
// vocabulary whatever the corpus.
func TrainBPE(src Source, o BPEOptions) (*Trained, error) {
	c := bpeConfig{
		vocabSize: o.VocabSize, minFrequency: int64(o.MinFrequency), specials: o.SpecialTokens,
		initial: byteAlphabet(), maxTokenLength: o.MaxTokenLength,
	}
	if err := checkBPEConfig(c); err != nil {
		return nil, fmt.Errorf("train bpe: %w", err)
	}
	raw, texts, err := countWords(src, o.Workers, func(text string, add func([]byte)) {
		runes := []rune(text)
		if o.Lowercase {
			runes = lowercase(newNormText(runes, 0)).runes
		}
		if o.AddPrefixSpace && len(runes) > 0 && runes[0] != ' ' {
			runes = append([]rune{' '}, runes...)
		}
		var buf []byte
		for _, w := range gpt2Split(runes) {
			buf = appendRunes(buf[:0], runes[w[0]:w[1]])
			add(buf)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("train bpe: %w", err)
	}
	// Words are counted as text and spelled in the byte alphabet once each.
	words := make(map[string]int64, len(raw))
	for w, n := range raw {
		words[byteLevelString(w)] = n
	}
	r := trainBPE(words, c, progressTo(o.Progress, o.VocabSize))
	return &Trained{Kind: KindBPE, Vocab: r.vocab, Merges: r.merges, Special: dedupe(o.SpecialTokens), Texts: texts, Words: len(words), bpe: &o}, nil
}

// byteAlphabet is pre_tokenizers.ByteLevel.alphabet(): the 256 characters
// GPT-2 spells bytes with.
func byteAlphabet() []rune {
	out := make([]rune, 0, 256)
	for b := range 256 {
		r, _ := utf8.DecodeRuneInString(pretokenizer.BytesChar[uint8(b)])
		out = append(out, r)
	}
	return out
}

func appendRunes(buf []byte, rs []rune) []byte {
	for _, r := range rs {
		buf = utf8.AppendRune(buf, r)
	}
	return buf
}

func progressTo(f func(vocab, target int), target int) func(int) {
	if f == nil {
		return nil
	}
	return func(vocab int) { f(vocab, target) }
}

func dedupe(tokens []string) []string {
	var out []string
	for _, t := range tokens {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
