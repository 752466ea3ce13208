package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BertOptions are BertTokenizer's normalization switches.
type BertOptions struct {
	Lowercase    bool // do_lower_case
	StripAccents bool // strip_accents; HF's default (None) follows Lowercase
	ChineseChars bool // tokenize_chinese_chars: every CJK ideograph is a word
}

// DefaultBertOptions are BertTokenizerFast's defaults.
func DefaultBertOptions() BertOptions {
	return BertOptions{Lowercase: true, StripAccents: true, ChineseChars: true}
}

// bertSpecials are BertTokenizer's special tokens in the order HF adds them.
var bertSpecials = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

// NewBert builds HF's BertTokenizerFast from a WordPiece vocab.txt: BERT
// normalizer, BERT pre-tokenizer, WordPiece model, [CLS] $A [SEP] template,
// WordPiece decoder with cleanup. The five special tokens are matched whole
// in the text; other bracketed entries such as [unused11] are not (HF splits
// them too).
func NewBert(vocabFile string, o BertOptions) (*Pipeline, error) {
	vocab, warnings, err := readVocabTxt(vocabFile)
	if err != nil {
		return nil, err
	}
	for _, tok := range []string{"[UNK]", "[CLS]", "[SEP]"} {
		if _, ok := vocab[tok]; !ok {
			return nil, fmt.Errorf("read %s: vocabulary lacks %s", vocabFile, tok)
		}
	}
	model, err := newWordPiece(vocab, defaultWordPiece)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", vocabFile, err)
	}
	var added []addedToken
	for _, tok := range bertSpecials {
		if id, ok := vocab[tok]; ok {
			added = append(added, addedToken{content: tok, id: id, special: true})
		}
	}
	return newPipeline(pipelineParts{
		vocab:      vocab,
		added:      added,
		normalizer: &bertNormalizer{cleanText: true, chineseChars: o.ChineseChars, stripAccents: o.StripAccents, lowercase: o.Lowercase},
		split:      spanSplit(bertSplit),
		model:      model,
		template:   bertTemplate("[CLS]", "[SEP]", vocab["[CLS]"], vocab["[SEP]"]),
		decoder:    wordPieceDecoder{prefix: "##", cleanup: true},
		cleanup:    true,
		warnings:   warnings,
	}), nil
}

// NewGPT2 builds HF's GPT2TokenizerFast from vocab.json (encoder.json) and
// merges.txt (vocab.bpe): byte-level pre-tokenizer, BPE model, byte-level
// decoder, no template, and <|endoftext|> as a special token matched in text.
func NewGPT2(vocabFile, mergesFile string) (*Pipeline, error) {
	vocab, err := readVocabJSON(vocabFile)
	if err != nil {
		return nil, err
	}
	merges, err := readMerges(mergesFile)
	if err != nil {
		return nil, err
	}
	model, err := newByteLevelBPE(vocab, merges, mergesFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", vocabFile, err)
	}
	var added []addedToken
	if id, ok := vocab["<|endoftext|>"]; ok {
		added = append(added, addedToken{content: "<|endoftext|>", id: id, special: true})
	}
	return newPipeline(pipelineParts{
		vocab:   vocab,
		added:   added,
		split:   spanSplit(gpt2Split),
		model:   model,
		decoder: byteLevelDecoder{},
	}), nil
}

// Load picks the tokenizer of a model directory: tokenizer.json, else
// spiece.model (T5, mT5), else vocab.txt (BERT), else vocab.json + merges.txt or encoder.json + vocab.bpe
// (GPT-2). A tokenizer_config.json beside vocab.txt may set do_lower_case,
// strip_accents and tokenize_chinese_chars.
func Load(dir string) (*Pipeline, error) {
	at := func(name string) string { return filepath.Join(dir, name) }
	switch {
	case exists(at("tokenizer.json")):
		return FromTokenizerJSON(at("tokenizer.json"))
	case exists(at("spiece.model")):
		return FromSentencePiece(at("spiece.model"))
	case exists(at("vocab.txt")):
		o, err := bertConfig(at("tokenizer_config.json"))
		if err != nil {
			return nil, err
		}
		return NewBert(at("vocab.txt"), o)
	case exists(at("vocab.json")) || exists(at("merges.txt")):
		return NewGPT2(at("vocab.json"), at("merges.txt"))
	case exists(at("encoder.json")) || exists(at("vocab.bpe")):
		return NewGPT2(at("encoder.json"), at("vocab.bpe"))
	}
	return nil, fmt.Errorf("load tokenizer from %s: no tokenizer.json, spiece.model, vocab.txt, vocab.json+merges.txt or encoder.json+vocab.bpe", dir)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// bertConfig reads BertTokenizer's switches from tokenizer_config.json, if any.
func bertConfig(path string) (BertOptions, error) {
	o := DefaultBertOptions()
	var c struct {
		Lowercase    *bool `json:"do_lower_case"`
		StripAccents *bool `json:"strip_accents"`
		ChineseChars *bool `json:"tokenize_chinese_chars"`
	}
	if err := readOptionalJSON(path, &c); err != nil {
		return o, err
	}
	if c.Lowercase != nil {
		o.Lowercase = *c.Lowercase
		o.StripAccents = *c.Lowercase
	}
	if c.StripAccents != nil {
		o.StripAccents = *c.StripAccents
	}
	if c.ChineseChars != nil {
		o.ChineseChars = *c.ChineseChars
	}
	return o, nil
}

// readOptionalJSON decodes path into v; a missing file leaves v as it is.
func readOptionalJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read tokenizer config: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read %s: %w", path, jsonPosition(data, err))
	}
	return nil
}

// pipelineParts is what every constructor assembles.
type pipelineParts struct {
	vocab      map[string]int64
	added      []addedToken
	normalizer normalizer
	prefix     bool
	split      preTokenizer
	model      wordModel
	template   *template
	decoder    decoder
	cleanup    bool
	warnings   []string // what loading found suspicious but accepted
}

func newPipeline(c pipelineParts) *Pipeline {
	p := &Pipeline{
		added: c.added, normalizer: c.normalizer, prefix: c.prefix, split: c.split, model: c.model,
		template: c.template, decoder: c.decoder, cleanup: c.cleanup, warnings: c.warnings,
		ids: make(map[string]int64, len(c.vocab)), tokens: make(map[int64]string, len(c.vocab)),
		special: map[int64]bool{},
	}
	for tok, id := range c.vocab {
		p.ids[tok] = id
		p.tokens[id] = tok
	}
	for _, a := range c.added {
		p.ids[a.content] = a.id
		p.tokens[a.id] = a.content
		if a.special {
			p.special[a.id] = true
		}
	}
	first := func(names ...string) int64 { return firstAdded(c.added, names) }
	p.specials = Specials{
		PAD: first("[PAD]", "<pad>"), UNK: first("[UNK]", "<unk>", "<|endoftext|>"),
		CLS: first("[CLS]", "<s>"), SEP: first("[SEP]", "</s>"), MASK: first("[MASK]", "<mask>"),
		BOS: first("<s>", "<|endoftext|>"), EOS: first("</s>", "<|endoftext|>"),
	}
	return p
}

// firstAdded is the id of the first of names that is an added token, else -1.
// Only added tokens count, as only they are special in HF: BERT's vocabulary
// holds no BOS, GPT-2's <|endoftext|> is its BOS, EOS and UNK.
func firstAdded(added []addedToken, names []string) int64 {
	for _, n := range names {
		for _, a := range added {
			if a.content == n {
				return a.id
			}
		}
	}
	return -1
}
