package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FromTokenizerJSON builds a tokenizer from an HF tokenizer.json. It supports
// the stages that BERT-, GPT-2- and RoBERTa-style tokenizers and
// SentencePiece-style ones (T5, mT5, Llama, SentencePieceUnigramTokenizer) use:
//
//	model:          WordPiece; BPE with ByteLevel pre-tokenizer (no dropout, subword prefix or suffix); Unigram
//	normalizer:     null, BertNormalizer, Precompiled, Replace, NFC, NFD, NFKC, NFKD, Strip, Lowercase, Nmt, Prepend, Sequence
//	pre_tokenizer:  null, BertPreTokenizer, ByteLevel, Metaspace, WhitespaceSplit, Sequence
//	post_processor: null, TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence
//	decoder:        null, WordPiece, ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence
//
// Anything else is an error naming the stage and its type; so are
// single_word added tokens. The tokenizer_config.json, config.json,
// special_tokens_map.json and added_tokens.json beside the file act as
// transformers' AutoTokenizer has them act (transformers.go).
func FromTokenizerJSON(path string) (*Pipeline, error) {
	cfg, err := readHFConfig(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	fam, err := cfg.family(true)
	if err != nil {
		return nil, err
	}
	if fam == famT5 {
		if _, ok := cfg.kwargs["add_prefix_space"]; ok {
			// T5TokenizerFast converts spiece.model again when the option is set.
			spiece := filepath.Join(filepath.Dir(path), "spiece.model")
			if !exists(spiece) {
				return nil, fmt.Errorf("%s: add_prefix_space needs spiece.model beside %s (T5TokenizerFast converts it again)", cfg.configPath, path)
			}
			return fromSentencePiece(spiece, cfg, false)
		}
	}
	p, err := tokenizerJSONParts(path)
	if err != nil {
		return nil, err
	}
	if cfg.byModelType && !fits(&p, fam) {
		fam = famGeneric
	}
	if err := cfg.apply(&p, fam, true); err != nil {
		return nil, err
	}
	return newPipeline(p), nil
}

// tokenizerJSONParts reads the backend of a tokenizer.json.
func tokenizerJSONParts(path string) (pipelineParts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return pipelineParts{}, fmt.Errorf("read tokenizer: %w", err)
	}
	var tj tokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return pipelineParts{}, fmt.Errorf("read %s: %w", path, jsonPosition(data, err))
	}
	p, err := tj.parts()
	if err != nil {
		return p, fmt.Errorf("read %s: %w", path, err)
	}
	return p, nil
}

type tokenizerJSON struct {
	AddedTokens []struct {
		ID         int64  `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Special    bool   `json:"special"`
		Normalized bool   `json:"normalized"`
	} `json:"added_tokens"`
	Normalizer    *stageJSON `json:"normalizer"`
	PreTokenizer  *stageJSON `json:"pre_tokenizer"`
	PostProcessor *stageJSON `json:"post_processor"`
	Decoder       *stageJSON `json:"decoder"`
	Model         *stageJSON `json:"model"`
}

// stageJSON holds the fields of every supported stage; Type says which apply.
type stageJSON struct {
	Type string `json:"type"`
	// BertNormalizer
	CleanText          bool  `json:"clean_text"`
	HandleChineseChars bool  `json:"handle_chinese_chars"`
	StripAccents       *bool `json:"strip_accents"`
	Lowercase          bool  `json:"lowercase"`
	// ByteLevel, RobertaProcessing, and Metaspace's legacy field
	AddPrefixSpace *bool `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"`
	TrimOffsets    *bool `json:"trim_offsets"`
	// TemplateProcessing and BertProcessing
	Single        []templateJSON                   `json:"single"`
	Pair          []templateJSON                   `json:"pair"`
	SpecialTokens map[string]struct{ IDs []int64 } `json:"special_tokens"`
	Sep           []json.RawMessage                `json:"sep"`
	Cls           []json.RawMessage                `json:"cls"`
	Processors    []*stageJSON                     `json:"processors"`
	// WordPiece decoder
	Prefix  string `json:"prefix"`
	Cleanup bool   `json:"cleanup"`
	// models
	Vocab                   json.RawMessage   `json:"vocab"`
	Merges                  []json.RawMessage `json:"merges"`
	UnkToken                *string           `json:"unk_token"`
	ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
	MaxInputCharsPerWord    int               `json:"max_input_chars_per_word"`
	EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
	Dropout                 *float64          `json:"dropout"`
	ByteFallback            bool              `json:"byte_fallback"`
	FuseUnk                 bool              `json:"fuse_unk"`
	IgnoreMerges            bool              `json:"ignore_merges"`

	unigramStageJSON // SentencePiece-style and composite stages (stagesjson.go)
}

type templateJSON struct {
	SpecialToken *struct {
		ID     string `json:"id"`
		TypeID int64  `json:"type_id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID     string `json:"id"`
		TypeID int64  `json:"type_id"`
	} `json:"Sequence"`
}

func (tj *tokenizerJSON) parts() (pipelineParts, error) {
	var p pipelineParts
	steps := []func(*pipelineParts) error{tj.model, tj.normalizer, tj.preTokenizer, tj.postProcessor, tj.decoder}
	for _, step := range steps {
		if err := step(&p); err != nil {
			return p, err
		}
	}
	// tokenizers reads added_tokens with add_tokens, in file order: the "id"
	// of a token outside the model's vocabulary is not read, the token gets
	// the next free id. A file whose ids disagree loads as HF loads it, with
	// a warning.
	for i, a := range tj.AddedTokens {
		if a.SingleWord {
			return p, fmt.Errorf("added_tokens[%d] %q: single_word is not supported", i, a.Content)
		}
		id := p.addToken(addedToken{content: a.Content, special: a.Special, lstrip: a.Lstrip, rstrip: a.Rstrip, normalized: a.Normalized})
		if id != a.ID {
			p.warnings = append(p.warnings, fmt.Sprintf("added_tokens[%d] %q: id %d in the file, but HF tokenizers gives it id %d, and so does gotrl", i, a.Content, a.ID, id))
		}
	}
	return p, nil
}

func unsupported(stage string, s *stageJSON) error {
	if s == nil {
		return fmt.Errorf("%s: missing (null) is not supported", stage)
	}
	return fmt.Errorf("%s type %q is not supported", stage, s.Type)
}

func (tj *tokenizerJSON) normalizer(p *pipelineParts) error {
	if tj.Normalizer == nil {
		return nil
	}
	n, err := tj.Normalizer.normalizerStage("normalizer")
	p.normalizer = n
	return err
}

func (tj *tokenizerJSON) preTokenizer(p *pipelineParts) error {
	s := tj.PreTokenizer
	switch {
	case s == nil:
		p.split = wholeText{}
		return nil
	case s.Type == "ByteLevel":
		// use_regex false: the text between added tokens is one word.
		p.split, p.prefix, p.byteLevel = spanSplit(gpt2Split), s.AddPrefixSpace != nil && *s.AddPrefixSpace, true
		if s.UseRegex != nil && !*s.UseRegex {
			p.split = wholeText{}
		}
		return nil
	}
	split, err := s.preTokenizerStage("pre_tokenizer")
	p.split = split
	return err
}

func (tj *tokenizerJSON) model(p *pipelineParts) error {
	m := tj.Model
	if m == nil {
		return errors.New("model: missing")
	}
	if m.Type == "Unigram" {
		model, vocab, err := m.unigramModel()
		if err != nil {
			return err
		}
		p.model, p.vocab, p.modelSize = model, vocab, len(model.pieces)
		return nil
	}
	if m.Type != "WordPiece" && m.Type != "BPE" {
		return unsupported("model", m)
	}
	if err := json.Unmarshal(m.Vocab, &p.vocab); err != nil {
		return fmt.Errorf("model.vocab: %w", err)
	}
	if len(p.vocab) == 0 {
		return errors.New("model.vocab: empty vocabulary")
	}
	switch m.Type {
	case "WordPiece":
		o := defaultWordPiece
		if m.UnkToken != nil {
			o.unkToken = *m.UnkToken
		}
		if m.ContinuingSubwordPrefix != nil {
			o.prefix = *m.ContinuingSubwordPrefix
		}
		if m.MaxInputCharsPerWord > 0 {
			o.maxInputCharsPerWord = m.MaxInputCharsPerWord
		}
		wp, err := newWordPiece(p.vocab, o)
		p.model = wp
		return err
	case "BPE":
		if tj.PreTokenizer == nil || tj.PreTokenizer.Type != "ByteLevel" {
			return errors.New("model BPE: only byte-level BPE (ByteLevel pre_tokenizer) is supported")
		}
		// unk_token, fuse_unk and byte_fallback act on characters missing
		// from the vocabulary, and a byte-level vocabulary has all 256;
		// dropout 0 never skips a merge.
		switch {
		case m.Dropout != nil && *m.Dropout != 0:
			return fmt.Errorf("model BPE: dropout %g is not supported (HF would merge at random)", *m.Dropout)
		case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
			return fmt.Errorf("model BPE: continuing_subword_prefix %q is not supported (byte-level BPE has none)", *m.ContinuingSubwordPrefix)
		case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
			return fmt.Errorf("model BPE: end_of_word_suffix %q is not supported (byte-level BPE has none)", *m.EndOfWordSuffix)
		}
		merges, err := parseJSONMerges(m.Merges)
		if err != nil {
			return err
		}
		bpe, err := newByteLevelBPE(p.vocab, merges, "model.merges")
		if err == nil && m.IgnoreMerges {
			bpe.whole = p.vocab
		}
		p.model = bpe
		return err
	}
	return nil
}

// parseJSONMerges reads merges as tokenizers writes them: "a b" strings
// (before 0.20) or ["a", "b"] pairs (0.20 on). Line numbers are 1-based
// indexes into the list.
func parseJSONMerges(raw []json.RawMessage) ([]mergeLine, error) {
	merges := make([]mergeLine, len(raw))
	for i, r := range raw {
		var s string
		var pair []string
		var m mergeLine
		var err error
		switch {
		case json.Unmarshal(r, &s) == nil:
			m, err = parseMerge(s)
		case json.Unmarshal(r, &pair) == nil && len(pair) == 2:
			m = mergeLine{a: pair[0], b: pair[1]}
		default:
			err = fmt.Errorf("merge %s: want \"a b\" or [\"a\", \"b\"]", r)
		}
		if err != nil {
			return nil, fmt.Errorf("model.merges[%d]: %w", i, err)
		}
		m.line = i + 1
		merges[i] = m
	}
	return merges, nil
}

func (tj *tokenizerJSON) postProcessor(p *pipelineParts) error {
	if tj.PostProcessor == nil {
		return nil
	}
	p.postKind = tj.PostProcessor.Type
	t, err := tj.PostProcessor.postProcessorStage("post_processor")
	p.template = t
	return err
}

// postProcessorStage builds a post-processor; name says where s sits.
// ByteLevel only trims offsets (GPT-2 turns that off); in a Sequence, trimming
// must come before the one processor that adds special tokens, as every
// tokenizer.json written by HF has it.
func (s *stageJSON) postProcessorStage(name string) (*template, error) {
	trim := s.TrimOffsets == nil || *s.TrimOffsets // ByteLevel and RobertaProcessing default to true
	prefix := s.AddPrefixSpace == nil || *s.AddPrefixSpace
	switch s.Type {
	case "ByteLevel":
		if !trim {
			return nil, nil
		}
		return &template{trim: true, trimPrefix: prefix}, nil
	case "BertProcessing", "RobertaProcessing":
		var sep, cls specialJSON
		if err := sep.parse(s.Sep); err != nil {
			return nil, fmt.Errorf("%s %s sep: %w", name, s.Type, err)
		}
		if err := cls.parse(s.Cls); err != nil {
			return nil, fmt.Errorf("%s %s cls: %w", name, s.Type, err)
		}
		if s.Type == "BertProcessing" {
			return bertTemplate(cls.token, sep.token, cls.id, sep.id), nil
		}
		return robertaTemplate(cls.token, sep.token, cls.id, sep.id, trim, prefix), nil
	case "TemplateProcessing":
		single, err := s.templateItems(name, "single", s.Single)
		if err != nil {
			return nil, err
		}
		pair, err := s.templateItems(name, "pair", s.Pair)
		return &template{single: single, pair: pair}, err
	case "Sequence":
		var out *template
		for i, sub := range s.Processors {
			subName := fmt.Sprintf("%s.processors[%d]", name, i)
			if sub == nil {
				return nil, fmt.Errorf("%s: null is not supported", subName)
			}
			t, err := sub.postProcessorStage(subName)
			switch {
			case err != nil:
				return nil, err
			case t == nil:
				continue
			case out != nil && out.single != nil:
				return nil, fmt.Errorf("%s %s: only trimming (ByteLevel) may come before the processor that adds special tokens", subName, sub.Type)
			case out != nil && out.trim:
				t.trim, t.trimPrefix = true, out.trimPrefix
			}
			out = t
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s type %q is not supported", name, s.Type)
}

// specialJSON is BertProcessing's ["[SEP]", 102].
type specialJSON struct {
	token string
	id    int64
}

func (sp *specialJSON) parse(raw []json.RawMessage) error {
	if len(raw) != 2 || json.Unmarshal(raw[0], &sp.token) != nil || json.Unmarshal(raw[1], &sp.id) != nil {
		return errors.New(`want ["token", id]`)
	}
	return nil
}

func (s *stageJSON) templateItems(stage, name string, items []templateJSON) ([]templateItem, error) {
	var out []templateItem
	for i, it := range items {
		switch {
		case it.Sequence != nil && it.Sequence.ID == "B" && name == "single":
			// One text has no B; HF fails encoding it, gotrl when loading.
			return nil, fmt.Errorf("%s TemplateProcessing single[%d]: sequence B in the template of one text", stage, i)
		case it.Sequence != nil && (it.Sequence.ID == "A" || it.Sequence.ID == "B"):
			out = append(out, templateItem{sequence: int(it.Sequence.ID[0] - 'A'), typeID: it.Sequence.TypeID})
		case it.SpecialToken != nil:
			sp, ok := s.SpecialTokens[it.SpecialToken.ID]
			if !ok || len(sp.IDs) != 1 {
				return nil, fmt.Errorf("%s TemplateProcessing %s[%d]: special token %q needs exactly one id", stage, name, i, it.SpecialToken.ID)
			}
			out = append(out, templateItem{special: it.SpecialToken.ID, id: sp.IDs[0], typeID: it.SpecialToken.TypeID})
		default:
			return nil, fmt.Errorf("%s TemplateProcessing %s[%d]: want SpecialToken or Sequence A/B", stage, name, i)
		}
	}
	return out, nil
}

func (tj *tokenizerJSON) decoder(p *pipelineParts) error {
	d := tj.Decoder
	switch {
	case d == nil:
		p.decoder = spaceJoin{}
		return nil
	case d.Type == "WordPiece":
		p.decoder = wordPieceDecoder{prefix: d.Prefix, cleanup: d.Cleanup}
		return nil
	case d.Type == "ByteLevel":
		p.decoder = byteLevelDecoder{}
		return nil
	}
	chain, err := d.chainDecoderStage("decoder")
	p.decoder = chain
	return err
}
