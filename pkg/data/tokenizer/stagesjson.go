package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file reads the tokenizer.json stages of SentencePiece-style
// tokenizers (T5, mT5, Llama, SentencePieceUnigramTokenizer) and the
// composite ones: normalizers, pre-tokenizers and decoders, each mirroring
// the HF type of the same name. An unsupported type is an error naming the
// stage (with its index inside a Sequence) and the type.

// unigramStageJSON holds the fields of the stages in this file; it is
// embedded in stageJSON.
type unigramStageJSON struct {
	Normalizers   []*stageJSON `json:"normalizers"`
	Pretokenizers []*stageJSON `json:"pretokenizers"`
	Decoders      []*stageJSON `json:"decoders"`
	// Precompiled: base64 in the file, bytes here
	PrecompiledCharsmap []byte `json:"precompiled_charsmap"`
	// Replace (normalizer and decoder)
	Pattern *struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	} `json:"pattern"`
	Content *string `json:"content"` // also the Strip decoder's character
	// Strip normalizer and decoder
	StripLeft  bool `json:"strip_left"`
	StripRight bool `json:"strip_right"`
	Start      int  `json:"start"`
	Stop       int  `json:"stop"`
	// Prepend
	Prepend *string `json:"prepend"`
	// Metaspace (pre-tokenizer and decoder)
	Replacement   *string `json:"replacement"`
	PrependScheme *string `json:"prepend_scheme"`
	Split         *bool   `json:"split"`
	// Unigram
	UnkID *int64 `json:"unk_id"`
}

// normalizerStage builds the normalizer of s; name says where s sits, for errors.
func (s *stageJSON) normalizerStage(name string) (normalizer, error) {
	if s == nil {
		return nil, fmt.Errorf("%s: null is not supported", name)
	}
	switch s.Type {
	case "BertNormalizer":
		strip := s.Lowercase
		if s.StripAccents != nil {
			strip = *s.StripAccents
		}
		return &bertNormalizer{cleanText: s.CleanText, chineseChars: s.HandleChineseChars, stripAccents: strip, lowercase: s.Lowercase, stripOpt: s.StripAccents}, nil
	case "Sequence":
		seq := make(normalizerSeq, len(s.Normalizers))
		for i, sub := range s.Normalizers {
			n, err := sub.normalizerStage(fmt.Sprintf("%s.normalizers[%d]", name, i))
			if err != nil {
				return nil, err
			}
			seq[i] = n
		}
		return seq, nil
	case "Precompiled":
		p, err := newPrecompiled(s.PrecompiledCharsmap)
		if err != nil {
			return nil, fmt.Errorf("%s Precompiled: %w", name, err)
		}
		return p, nil
	case "Replace":
		pat, content, err := s.replace(name)
		return replaceNormalizer{pattern: pat, content: []rune(content)}, err
	case "NFC", "NFD", "NFKC", "NFKD":
		return unicodeForm{compat: s.Type[2] == 'K', compose: s.Type[len(s.Type)-1] == 'C'}, nil
	case "Strip":
		return stripNormalizer{left: s.StripLeft, right: s.StripRight}, nil
	case "Lowercase":
		return lowercaseNormalizer{}, nil
	case "Nmt":
		return nmtNormalizer{}, nil
	case "Prepend":
		if s.Prepend == nil {
			return nil, fmt.Errorf("%s Prepend: prepend is missing", name)
		}
		return prependNormalizer{prefix: []rune(*s.Prepend)}, nil
	}
	return nil, fmt.Errorf("%s type %q is not supported", name, s.Type)
}

// replace reads the pattern and content of Replace, the normalizer or the decoder.
func (s *stageJSON) replace(name string) (replacePattern, string, error) {
	if s.Pattern == nil || s.Content == nil {
		return replacePattern{}, "", fmt.Errorf("%s Replace: pattern and content are required", name)
	}
	pat, err := newReplacePattern(s.Pattern.String, s.Pattern.Regex)
	if err != nil {
		return pat, "", fmt.Errorf("%s Replace: %w", name, err)
	}
	return pat, *s.Content, nil
}

// preTokenizerStage builds the pre-tokenizers that can sit in a Sequence.
func (s *stageJSON) preTokenizerStage(name string) (preTokenizer, error) {
	if s == nil {
		return nil, fmt.Errorf("%s: null is not supported", name)
	}
	switch s.Type {
	case "Metaspace":
		return s.metaspace(name)
	case "WhitespaceSplit":
		return whitespaceSplit{}, nil
	case "BertPreTokenizer":
		return spanSplit(bertSplit), nil
	case "Sequence":
		seq := make(preTokenizerSeq, len(s.Pretokenizers))
		for i, sub := range s.Pretokenizers {
			pt, err := sub.preTokenizerStage(fmt.Sprintf("%s.pretokenizers[%d]", name, i))
			if err != nil {
				return nil, err
			}
			seq[i] = pt
		}
		return seq, nil
	}
	return nil, fmt.Errorf("%s type %q is not supported", name, s.Type)
}

// metaspace reads Metaspace as tokenizers 0.20 does: prepend_scheme defaults
// to always; the legacy add_prefix_space false needs prepend_scheme never
// (HF refuses any other combination); split defaults to true.
func (s *stageJSON) metaspace(name string) (metaspace, error) {
	m := metaspace{replacement: '▁', scheme: prependAlways, split: true}
	if s.Replacement == nil || utf8.RuneCountInString(*s.Replacement) != 1 {
		return m, fmt.Errorf("%s Metaspace: replacement must be one character", name)
	}
	m.replacement, _ = utf8.DecodeRuneInString(*s.Replacement)
	if s.PrependScheme != nil {
		m.scheme = prependScheme(*s.PrependScheme)
		if err := m.scheme.validate(); err != nil {
			return m, fmt.Errorf("%s Metaspace: %w", name, err)
		}
	}
	if s.AddPrefixSpace != nil && !*s.AddPrefixSpace {
		if m.scheme != prependNever {
			return m, fmt.Errorf("%s Metaspace: add_prefix_space false does not match prepend_scheme %q", name, string(m.scheme))
		}
	}
	if s.Split != nil {
		m.split = *s.Split
	}
	return m, nil
}

// chainDecoderStage builds the decoders that compose in a Sequence.
func (s *stageJSON) chainDecoderStage(name string) (decoderChain, error) {
	if s == nil {
		return nil, fmt.Errorf("%s: null is not supported", name)
	}
	switch s.Type {
	case "Metaspace":
		m, err := s.metaspace(name)
		return decoderChain{m}, err
	case "ByteFallback":
		return decoderChain{byteFallbackDecoder{}}, nil
	case "Fuse":
		return decoderChain{fuseDecoder{}}, nil
	case "Strip":
		if s.Content == nil || utf8.RuneCountInString(*s.Content) != 1 || s.Start < 0 || s.Stop < 0 {
			return nil, fmt.Errorf("%s Strip: want one content character and start, stop ≥ 0", name)
		}
		c, _ := utf8.DecodeRuneInString(*s.Content)
		return decoderChain{stripDecoder{content: c, start: s.Start, stop: s.Stop}}, nil
	case "Replace":
		pat, content, err := s.replace(name)
		return decoderChain{replaceDecoder{pattern: pat, content: content}}, err
	case "Sequence":
		var seq decoderChain
		for i, sub := range s.Decoders {
			d, err := sub.chainDecoderStage(fmt.Sprintf("%s.decoders[%d]", name, i))
			if err != nil {
				return nil, err
			}
			seq = append(seq, d...)
		}
		return seq, nil
	}
	return nil, fmt.Errorf("%s type %q is not supported", name, s.Type)
}

// spaceJoin is what HF's Tokenizer::decode does without a decoder.
type spaceJoin struct{}

func (spaceJoin) decode(tokens []string) string { return strings.Join(tokens, " ") }

// unigramModel reads a Unigram model: vocab as [piece, score] pairs, unk_id
// (null for none) and byte_fallback.
func (s *stageJSON) unigramModel() (*unigram, map[string]int64, error) {
	var raw [][]json.RawMessage
	if err := json.Unmarshal(s.Vocab, &raw); err != nil {
		return nil, nil, fmt.Errorf("model.vocab: want [[piece, score], ...]: %w", err)
	}
	vocab := make([]UnigramPiece, len(raw))
	for i, pair := range raw {
		if len(pair) != 2 || json.Unmarshal(pair[0], &vocab[i].Piece) != nil || json.Unmarshal(pair[1], &vocab[i].Score) != nil {
			return nil, nil, fmt.Errorf("model.vocab[%d]: want [piece, score]", i)
		}
	}
	unk := int64(-1)
	if s.UnkID != nil {
		if *s.UnkID < 0 {
			return nil, nil, fmt.Errorf("model.unk_id: %d is negative", *s.UnkID)
		}
		unk = *s.UnkID
	}
	m, err := newUnigram(vocab, unk, s.ByteFallback)
	if err != nil {
		return nil, nil, fmt.Errorf("model Unigram: %w", err)
	}
	return m, m.ids, nil
}
