package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FromTokenizerJSON builds a tokenizer from an HF tokenizer.json. It supports
// the stages that BERT- and GPT-2-style tokenizers and SentencePiece-style
// ones (T5, mT5, Llama, SentencePieceUnigramTokenizer) use:
//
//	model:          WordPiece; BPE with ByteLevel pre-tokenizer (no dropout, unk, prefix/suffix, byte fallback); Unigram
//	normalizer:     null, BertNormalizer, Precompiled, Replace, NFC, NFD, NFKC, NFKD, Strip, Lowercase, Nmt, Prepend, Sequence
//	pre_tokenizer:  null, BertPreTokenizer, ByteLevel (use_regex true), Metaspace, WhitespaceSplit, Sequence
//	post_processor: null, TemplateProcessing, BertProcessing, ByteLevel
//	decoder:        null, WordPiece, ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence
//
// Anything else is an error naming the stage and its type. Added
// tokens are matched in the raw text (exact for tokenizers without a
// normalizer, and for tokens with "normalized": false); single_word tokens
// are rejected. A tokenizer_config.json beside the file may set
// clean_up_tokenization_spaces; without it, cleanup is on for WordPiece (as
// BertTokenizerFast) and off otherwise.
func FromTokenizerJSON(path string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer: %w", err)
	}
	var tj tokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, jsonPosition(data, err))
	}
	p, err := tj.parts()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if p.cleanup, err = cleanupConfig(filepath.Join(filepath.Dir(path), "tokenizer_config.json"), p.cleanup); err != nil {
		return nil, err
	}
	return newPipeline(p), nil
}

type tokenizerJSON struct {
	AddedTokens []struct {
		ID         int64  `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Special    bool   `json:"special"`
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
	// ByteLevel, and Metaspace's legacy field
	AddPrefixSpace *bool `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"`
	// TemplateProcessing and BertProcessing
	Single        []templateJSON                   `json:"single"`
	Pair          []templateJSON                   `json:"pair"`
	SpecialTokens map[string]struct{ IDs []int64 } `json:"special_tokens"`
	Sep           []json.RawMessage                `json:"sep"`
	Cls           []json.RawMessage                `json:"cls"`
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
	for i, a := range tj.AddedTokens {
		if a.SingleWord {
			return p, fmt.Errorf("added_tokens[%d] %q: single_word is not supported", i, a.Content)
		}
		p.added = append(p.added, addedToken{content: a.Content, id: a.ID, special: a.Special, lstrip: a.Lstrip, rstrip: a.Rstrip})
	}
	steps := []func(*pipelineParts) error{tj.model, tj.normalizer, tj.preTokenizer, tj.postProcessor, tj.decoder}
	for _, step := range steps {
		if err := step(&p); err != nil {
			return p, err
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
		if s.UseRegex != nil && !*s.UseRegex {
			return errors.New("pre_tokenizer ByteLevel: use_regex false is not supported")
		}
		p.split, p.prefix = spanSplit(gpt2Split), s.AddPrefixSpace != nil && *s.AddPrefixSpace
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
		p.model, p.vocab = model, vocab
		return err
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
		if m.Dropout != nil || m.UnkToken != nil || m.ByteFallback || m.FuseUnk || m.IgnoreMerges ||
			m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" || m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
			return errors.New("model BPE: only GPT-2's options are supported (no dropout, unk_token, subword prefix/suffix, byte_fallback, fuse_unk, ignore_merges)")
		}
		merges, err := parseJSONMerges(m.Merges)
		if err != nil {
			return err
		}
		bpe, err := newByteLevelBPE(p.vocab, merges, "model.merges")
		p.model = bpe
		return err
	}
	return nil
}

// parseJSONMerges reads merges as tokenizers writes them: "a b" strings
// (0.20 and before) or ["a", "b"] pairs (0.21 on). Line numbers are 1-based
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
	s := tj.PostProcessor
	switch {
	case s == nil || s.Type == "ByteLevel":
		return nil // ByteLevel only trims offsets; GPT-2 turns that off
	case s.Type == "BertProcessing":
		var sep, cls specialJSON
		if err := sep.parse(s.Sep); err != nil {
			return fmt.Errorf("post_processor BertProcessing sep: %w", err)
		}
		if err := cls.parse(s.Cls); err != nil {
			return fmt.Errorf("post_processor BertProcessing cls: %w", err)
		}
		p.template = bertTemplate(cls.token, sep.token, cls.id, sep.id)
		return nil
	case s.Type == "TemplateProcessing":
		single, err := s.templateItems("single", s.Single)
		if err != nil {
			return err
		}
		pair, err := s.templateItems("pair", s.Pair)
		p.template = &template{single: single, pair: pair}
		return err
	}
	return unsupported("post_processor", s)
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

func (s *stageJSON) templateItems(name string, items []templateJSON) ([]templateItem, error) {
	var out []templateItem
	for i, it := range items {
		switch {
		case it.Sequence != nil && (it.Sequence.ID == "A" || it.Sequence.ID == "B"):
			out = append(out, templateItem{sequence: int(it.Sequence.ID[0] - 'A'), typeID: it.Sequence.TypeID})
		case it.SpecialToken != nil:
			sp, ok := s.SpecialTokens[it.SpecialToken.ID]
			if !ok || len(sp.IDs) != 1 {
				return nil, fmt.Errorf("post_processor TemplateProcessing %s[%d]: special token %q needs exactly one id", name, i, it.SpecialToken.ID)
			}
			out = append(out, templateItem{special: it.SpecialToken.ID, id: sp.IDs[0], typeID: it.SpecialToken.TypeID})
		default:
			return nil, fmt.Errorf("post_processor TemplateProcessing %s[%d]: want SpecialToken or Sequence A/B", name, i)
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
		p.cleanup = true
		return nil
	case d.Type == "ByteLevel":
		p.decoder = byteLevelDecoder{}
		return nil
	}
	chain, err := d.chainDecoderStage("decoder")
	p.decoder = chain
	return err
}

// cleanupConfig reads clean_up_tokenization_spaces from tokenizer_config.json.
func cleanupConfig(path string, def bool) (bool, error) {
	var c struct {
		Cleanup *bool `json:"clean_up_tokenization_spaces"`
	}
	if err := readOptionalJSON(path, &c); err != nil || c.Cleanup == nil {
		return def, err
	}
	return *c.Cleanup, nil
}
