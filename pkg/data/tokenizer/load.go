package tokenizer

import (
	"fmt"
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
// them too). No configuration file is read: Load reads them.
func NewBert(vocabFile string, o BertOptions) (*Pipeline, error) {
	cfg := &hfConfig{dir: filepath.Dir(vocabFile)}
	p, err := bertParts(vocabFile, cfg)
	if err != nil {
		return nil, err
	}
	strip := o.StripAccents
	p.normalizer = &bertNormalizer{cleanText: true, chineseChars: o.ChineseChars, stripAccents: strip, lowercase: o.Lowercase, stripOpt: &strip}
	if err := cfg.apply(&p, famBert, false); err != nil {
		return nil, err
	}
	return newPipeline(p), nil
}

// bertParts is transformers' BertConverter over vocab.txt, with the unknown,
// [CLS] and [SEP] tokens cfg names; the normalizer has BertTokenizerFast's
// defaults, which cfg.apply then rewrites from do_lower_case & co.
func bertParts(vocabFile string, cfg *hfConfig) (pipelineParts, error) {
	vocab, warnings, err := readVocabTxt(vocabFile)
	if err != nil {
		return pipelineParts{}, err
	}
	unk, cls, sep := cfg.roleContent(famBert, "unk_token"), cfg.roleContent(famBert, "cls_token"), cfg.roleContent(famBert, "sep_token")
	for _, tok := range []string{unk, cls, sep} {
		if _, ok := vocab[tok]; !ok {
			return pipelineParts{}, fmt.Errorf("read %s: vocabulary lacks %s", vocabFile, tok)
		}
	}
	o := defaultWordPiece
	o.unkToken = unk
	model, err := newWordPiece(vocab, o)
	if err != nil {
		return pipelineParts{}, fmt.Errorf("read %s: %w", vocabFile, err)
	}
	return pipelineParts{
		vocab:      vocab,
		normalizer: &bertNormalizer{cleanText: true, chineseChars: true, stripAccents: true, lowercase: true},
		split:      spanSplit(bertSplit),
		model:      model,
		template:   bertTemplate(cls, sep, vocab[cls], vocab[sep]),
		decoder:    wordPieceDecoder{prefix: "##", cleanup: true},
		warnings:   warnings,
	}, nil
}

// NewGPT2 builds HF's GPT2TokenizerFast from vocab.json (encoder.json) and
// merges.txt (vocab.bpe): byte-level pre-tokenizer, BPE model, byte-level
// decoder, no template, and <|endoftext|> as a special token matched in text.
// No configuration file is read: Load reads them.
func NewGPT2(vocabFile, mergesFile string) (*Pipeline, error) {
	cfg := &hfConfig{dir: filepath.Dir(vocabFile)}
	p, err := bpeParts(vocabFile, mergesFile, cfg, famGPT2)
	if err != nil {
		return nil, err
	}
	if err := cfg.apply(&p, famGPT2, false); err != nil {
		return nil, err
	}
	return newPipeline(p), nil
}

// bpeParts is transformers' GPT2Converter (a <bos> $A template when
// add_bos_token is set) or RobertaConverter (RobertaProcessing) over the
// byte-level BPE files.
func bpeParts(vocabFile, mergesFile string, cfg *hfConfig, fam family) (pipelineParts, error) {
	vocab, err := readVocabJSON(vocabFile)
	if err != nil {
		return pipelineParts{}, err
	}
	merges, err := readMerges(mergesFile)
	if err != nil {
		return pipelineParts{}, err
	}
	model, err := newByteLevelBPE(vocab, merges, mergesFile)
	if err != nil {
		return pipelineParts{}, fmt.Errorf("read %s: %w", vocabFile, err)
	}
	p := pipelineParts{vocab: vocab, split: spanSplit(gpt2Split), byteLevel: true, model: model, decoder: byteLevelDecoder{}, postKind: "ByteLevel"}
	switch fam {
	case famRoberta:
		// The template's ids are resolved once the special tokens are added.
		p.template = robertaTemplate(cfg.roleContent(fam, "cls_token"), cfg.roleContent(fam, "sep_token"), -1, -1, true, false)
		p.postKind = "RobertaProcessing"
	default:
		bos, err := cfg.boolOption("add_bos_token", false)
		if err != nil {
			return p, err
		}
		if tok := cfg.roleContent(fam, "bos_token"); bos && tok != "" {
			b := templateItem{special: tok, id: -1}
			p.template = &template{single: []templateItem{b, {sequence: 0}}, pair: []templateItem{b, {sequence: 0}, {sequence: 1, typeID: 1}}}
			p.postKind = "TemplateProcessing"
		}
	}
	return p, nil
}

// Load builds the tokenizer of a model directory as transformers'
// AutoTokenizer does: the backend is tokenizer.json, else spiece.model (T5,
// mT5), else vocab.txt (BERT), else vocab.json + merges.txt or encoder.json
// + vocab.bpe (GPT-2, or RoBERTa when the configuration says so); then
// tokenizer_config.json, config.json, special_tokens_map.json and
// added_tokens.json act as transformers.go describes.
func Load(dir string) (*Pipeline, error) {
	at := func(name string) string { return filepath.Join(dir, name) }
	if exists(at("tokenizer.json")) {
		return FromTokenizerJSON(at("tokenizer.json"))
	}
	cfg, err := readHFConfig(dir)
	if err != nil {
		return nil, err
	}
	if exists(at("spiece.model")) {
		return fromSentencePiece(at("spiece.model"), cfg, true)
	}
	fam, err := cfg.family(false)
	if err != nil {
		return nil, err
	}
	var p pipelineParts
	switch {
	case exists(at("vocab.txt")):
		if fam != famGeneric && fam != famBert && !cfg.byModelType {
			return nil, fmt.Errorf("%s: %s converts vocab.json + merges.txt or spiece.model, but %s has only vocab.txt", cfg.classFrom, cfg.class, dir)
		}
		fam = famBert
		p, err = bertParts(at("vocab.txt"), cfg)
	case exists(at("vocab.json")) || exists(at("merges.txt")) || exists(at("encoder.json")) || exists(at("vocab.bpe")):
		switch {
		case fam == famBert && !cfg.byModelType:
			return nil, fmt.Errorf("%s: %s converts vocab.txt, but %s has vocab.json + merges.txt", cfg.classFrom, cfg.class, dir)
		case fam != famRoberta:
			fam = famGPT2
		}
		vocab, merges := at("vocab.json"), at("merges.txt")
		if !exists(vocab) && !exists(merges) {
			vocab, merges = at("encoder.json"), at("vocab.bpe")
		}
		p, err = bpeParts(vocab, merges, cfg, fam)
	default:
		return nil, fmt.Errorf("load tokenizer from %s: no tokenizer.json, spiece.model, vocab.txt, vocab.json+merges.txt or encoder.json+vocab.bpe", dir)
	}
	if err != nil {
		return nil, err
	}
	if err := cfg.apply(&p, fam, false); err != nil {
		return nil, err
	}
	return newPipeline(p), nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// pipelineParts is what every constructor assembles.
type pipelineParts struct {
	vocab      map[string]int64
	modelSize  int // the model's get_vocab_size(); 0: len(vocab)
	added      []addedToken
	addedAt    map[string]int // index in added by content, kept by addToken
	maxAdded   int64          // highest id in added, kept by addToken
	normalizer normalizer
	prefix     bool
	byteLevel  bool // the pre-tokenizer is ByteLevel (prefix is its add_prefix_space)
	split      preTokenizer
	model      wordModel
	template   *template
	postKind   string // the post-processor's type in tokenizer.json
	decoder    decoder
	cleanup    bool
	// splitSpecial is split_special_tokens: special tokens in the text are
	// tokenized as text.
	splitSpecial bool
	// roles maps bos_token, eos_token, … to ids as the configuration files
	// name them (-1 for none); nil without configuration files, and then the
	// roles are guessed from the added tokens' names.
	roles    map[string]int64
	warnings []string // what loading found suspicious but accepted
}

// addToken adds a as tokenizers' AddedVocabulary::add_tokens does and
// returns its id: a content already added keeps its id and takes a's flags;
// a content of the model's vocabulary gets its id there; a new one gets the
// model's vocabulary size, or the highest added id plus one when that is
// beyond it.
func (c *pipelineParts) addToken(a addedToken) int64 {
	if c.addedAt == nil || len(c.addedAt) != len(c.added) {
		c.addedAt = make(map[string]int, len(c.added))
		c.maxAdded = -1
		for i, b := range c.added {
			c.addedAt[b.content] = i
			c.maxAdded = max(c.maxAdded, b.id)
		}
	}
	if i, ok := c.addedAt[a.content]; ok {
		a.id = c.added[i].id
		c.added[i] = a
		return a.id
	}
	if id, ok := c.vocab[a.content]; ok {
		a.id = id
	} else {
		size := int64(c.modelSize)
		if size == 0 {
			size = int64(len(c.vocab))
		}
		a.id = size
		if c.maxAdded >= size {
			a.id = c.maxAdded + 1
		}
	}
	c.addedAt[a.content] = len(c.added)
	c.maxAdded = max(c.maxAdded, a.id)
	c.added = append(c.added, a)
	return a.id
}

func newPipeline(c pipelineParts) *Pipeline {
	p := &Pipeline{
		added: c.added, normalizer: c.normalizer, prefix: c.prefix, split: c.split, model: c.model,
		template: c.template, decoder: c.decoder, cleanup: c.cleanup, splitSpecial: c.splitSpecial, warnings: c.warnings,
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
		switch {
		case a.special && c.splitSpecial:
		case !a.normalized || c.normalizer == nil:
			p.rawAdded = append(p.rawAdded, a)
		default:
			// HF matches the token's normalized content in the normalized text.
			n := c.normalizer.normalize(newNormText([]rune(a.content), 0))
			if len(n.runes) > 0 {
				a.content = string(n.runes)
				p.normAdded = append(p.normAdded, a)
			}
		}
	}
	if c.roles != nil {
		r := c.roles
		p.specials = Specials{PAD: r["pad_token"], UNK: r["unk_token"], CLS: r["cls_token"], SEP: r["sep_token"],
			MASK: r["mask_token"], BOS: r["bos_token"], EOS: r["eos_token"]}
		return p
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
