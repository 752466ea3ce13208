package tokenizer

import "io"

// The tokenizer.json a trained tokenizer is saved as: the stages HF's
// implementation classes set, in the order and spelling tokenizers 0.20.3
// serializes them. For WordPiece it is what BertTokenizerFast saves (the
// [CLS] $A [SEP] template included, which BertWordPieceTokenizer only adds
// when built from a vocabulary); for BPE what ByteLevelBPETokenizer saves.

type trainedJSON struct {
	Version       string           `json:"version"`
	Truncation    any              `json:"truncation"`
	Padding       any              `json:"padding"`
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    any              `json:"normalizer"`
	PreTokenizer  any              `json:"pre_tokenizer"`
	PostProcessor any              `json:"post_processor"`
	Decoder       any              `json:"decoder"`
	Model         any              `json:"model"`
}

type addedTokenJSON struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type typeJSON struct {
	Type string `json:"type"`
}

type bertNormalizerJSON struct {
	Type               string `json:"type"`
	CleanText          bool   `json:"clean_text"`
	HandleChineseChars bool   `json:"handle_chinese_chars"`
	StripAccents       *bool  `json:"strip_accents"`
	Lowercase          bool   `json:"lowercase"`
}

type byteLevelJSON struct {
	Type           string `json:"type"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	TrimOffsets    bool   `json:"trim_offsets"`
	UseRegex       bool   `json:"use_regex"`
}

type templatePieceJSON struct {
	SpecialToken *templateIDJSON `json:"SpecialToken,omitempty"`
	Sequence     *templateIDJSON `json:"Sequence,omitempty"`
}

type templateIDJSON struct {
	ID     string `json:"id"`
	TypeID int    `json:"type_id"`
}

type templateSpecialJSON struct {
	ID     string   `json:"id"`
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens"`
}

type templateJSONOut struct {
	Type          string                         `json:"type"`
	Single        []templatePieceJSON            `json:"single"`
	Pair          []templatePieceJSON            `json:"pair"`
	SpecialTokens map[string]templateSpecialJSON `json:"special_tokens"`
}

type wordPieceDecoderJSON struct {
	Type    string `json:"type"`
	Prefix  string `json:"prefix"`
	Cleanup bool   `json:"cleanup"`
}

type wordPieceModelJSON struct {
	Type                    string       `json:"type"`
	UnkToken                string       `json:"unk_token"`
	ContinuingSubwordPrefix string       `json:"continuing_subword_prefix"`
	MaxInputCharsPerWord    int          `json:"max_input_chars_per_word"`
	Vocab                   orderedVocab `json:"vocab"`
}

type bpeModelJSON struct {
	Type                    string       `json:"type"`
	Dropout                 *float64     `json:"dropout"`
	UnkToken                *string      `json:"unk_token"`
	ContinuingSubwordPrefix *string      `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string      `json:"end_of_word_suffix"`
	FuseUnk                 bool         `json:"fuse_unk"`
	ByteFallback            bool         `json:"byte_fallback"`
	IgnoreMerges            bool         `json:"ignore_merges"`
	Vocab                   orderedVocab `json:"vocab"`
	Merges                  [][2]string  `json:"merges"`
}

func (t *Trained) writeTokenizerJSON(w io.Writer) error {
	ids := t.ids()
	tj := trainedJSON{Version: "1.0", AddedTokens: []addedTokenJSON{}}
	for _, s := range t.Special {
		tj.AddedTokens = append(tj.AddedTokens, addedTokenJSON{ID: ids[s], Content: s, Special: true})
	}
	switch t.Kind {
	case KindWordPiece:
		o := t.wordPiece
		tj.Normalizer = bertNormalizerJSON{Type: "BertNormalizer", CleanText: o.CleanText, HandleChineseChars: o.ChineseChars, StripAccents: o.StripAccents, Lowercase: o.Lowercase}
		tj.PreTokenizer = typeJSON{"BertPreTokenizer"}
		tj.PostProcessor = bertTemplateJSON(ids)
		tj.Decoder = wordPieceDecoderJSON{Type: "WordPiece", Prefix: o.Prefix, Cleanup: true}
		tj.Model = wordPieceModelJSON{Type: "WordPiece", UnkToken: o.UnkToken, ContinuingSubwordPrefix: o.Prefix, MaxInputCharsPerWord: defaultWordPiece.maxInputCharsPerWord, Vocab: t.Vocab}
	case KindBPE:
		o := t.bpe
		if o.Lowercase {
			tj.Normalizer = typeJSON{"Lowercase"}
		}
		tj.PreTokenizer = byteLevelJSON{Type: "ByteLevel", AddPrefixSpace: o.AddPrefixSpace, TrimOffsets: true, UseRegex: true}
		tj.PostProcessor = byteLevelJSON{Type: "ByteLevel", AddPrefixSpace: true, TrimOffsets: false, UseRegex: true}
		tj.Decoder = byteLevelJSON{Type: "ByteLevel", AddPrefixSpace: true, TrimOffsets: true, UseRegex: true}
		merges := t.Merges
		if merges == nil {
			merges = [][2]string{}
		}
		tj.Model = bpeModelJSON{Type: "BPE", Vocab: t.Vocab, Merges: merges}
	}
	return encodeJSON(w, tj, "  ")
}

// bertTemplateJSON is BertTokenizerFast's post-processor, [CLS] $A [SEP] and
// [CLS] $A [SEP] $B:1 [SEP]:1; nil (no template) without [CLS] and [SEP].
func bertTemplateJSON(ids map[string]int) any {
	cls, okC := ids["[CLS]"]
	sep, okS := ids["[SEP]"]
	if !okC || !okS {
		return nil
	}
	special := func(tok string, typeID int) templatePieceJSON {
		return templatePieceJSON{SpecialToken: &templateIDJSON{tok, typeID}}
	}
	seq := func(id string, typeID int) templatePieceJSON {
		return templatePieceJSON{Sequence: &templateIDJSON{id, typeID}}
	}
	return templateJSONOut{
		Type:   "TemplateProcessing",
		Single: []templatePieceJSON{special("[CLS]", 0), seq("A", 0), special("[SEP]", 0)},
		Pair:   []templatePieceJSON{special("[CLS]", 0), seq("A", 0), special("[SEP]", 0), seq("B", 1), special("[SEP]", 1)},
		SpecialTokens: map[string]templateSpecialJSON{
			"[CLS]": {ID: "[CLS]", IDs: []int{cls}, Tokens: []string{"[CLS]"}},
			"[SEP]": {ID: "[SEP]", IDs: []int{sep}, Tokens: []string{"[SEP]"}},
		},
	}
}
