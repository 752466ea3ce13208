package tokenizer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// FromSentencePiece builds the tokenizer of a T5 or mT5 checkpoint that
// ships only SentencePiece's spiece.model (google/mt5-* do), as
// transformers' T5TokenizerFast converts it (convert_slow_tokenizer's
// T5Converter over SpmConverter, transformers 4.46): the model's pieces and
// scores plus tokenizer_config.json's extra_ids sentinels (default 100,
// <extra_id_99> first), normalizer Precompiled (the model's charsmap) +
// Strip(right) + Replace(" {2,}" → "▁"), Metaspace (prepend_scheme always,
// first when legacy is false, never when add_prefix_space is false), the
// $A </s> template, no byte fallback (the converter has none for T5).
// Control and user-defined pieces, the unknown piece and the sentinels are
// added tokens.
func FromSentencePiece(path string) (*Pipeline, error) {
	cfg, err := readHFConfig(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return fromSentencePiece(path, cfg, true)
}

// fromSentencePiece converts spiece.model. T5TokenizerFast's own
// conversion (tokenizer.json present, add_prefix_space set) does not pass
// add_prefix_space on: honourPrefix is false then.
func fromSentencePiece(path string, cfg *hfConfig, honourPrefix bool) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer: %w", err)
	}
	m, err := parseSentencePiece(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	extra := 100
	if raw, ok := cfg.kwargs["extra_ids"]; ok {
		if err := json.Unmarshal(raw, &extra); err != nil {
			return nil, fmt.Errorf("read %s: extra_ids: %w", cfg.configPath, err)
		}
	}
	legacy, err := cfg.boolOption("legacy", true)
	if err != nil {
		return nil, err
	}
	prefix, err := cfg.boolOption("add_prefix_space", true)
	if err != nil {
		return nil, err
	}
	scheme := prependAlways // transformers' _get_prepend_scheme
	switch {
	case !prefix && honourPrefix:
		scheme = prependNever
	case !legacy:
		scheme = prependFirst
	}
	p, err := m.t5Parts(extra, scheme)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := cfg.apply(&p, famT5, false); err != nil {
		return nil, err
	}
	return newPipeline(p), nil
}

// spmPiece types (sentencepiece_model.proto, ModelProto.SentencePiece.Type).
const (
	spmNormal      = 1
	spmUnknown     = 2
	spmControl     = 3
	spmUserDefined = 4
)

// spmModel is the part of SentencePiece's ModelProto the converter reads.
type spmModel struct {
	pieces    []UnigramPiece
	types     []int
	modelType int // TrainerSpec.model_type: 1 unigram, 2 BPE
	unkID     int64
	charsmap  []byte // NormalizerSpec.precompiled_charsmap
}

func (m *spmModel) t5Parts(extra int, scheme prependScheme) (pipelineParts, error) {
	var p pipelineParts
	if m.modelType != 1 {
		return p, fmt.Errorf("trainer_spec.model_type %d: only Unigram (1) SentencePiece models are supported", m.modelType)
	}
	vocab := append([]UnigramPiece{}, m.pieces...)
	for i := extra - 1; i >= 0; i-- {
		vocab = append(vocab, UnigramPiece{Piece: fmt.Sprintf("<extra_id_%d>", i)})
	}
	model, err := newUnigram(vocab, m.unkID, false)
	if err != nil {
		return p, err
	}
	p.model, p.vocab, p.modelSize = model, model.ids, len(model.pieces)
	for id, t := range m.types {
		if t == spmControl || t == spmUserDefined || t == spmUnknown {
			p.added = append(p.added, addedToken{content: m.pieces[id].Piece, id: int64(id), special: t != spmUserDefined})
		}
	}
	for id := len(m.pieces); id < len(vocab); id++ {
		p.added = append(p.added, addedToken{content: vocab[id].Piece, id: int64(id), special: true})
	}
	var norm normalizerSeq
	if len(m.charsmap) > 0 {
		pc, err := newPrecompiled(m.charsmap)
		if err != nil {
			return p, err
		}
		norm = append(norm, pc)
	}
	spaces, _ := newReplacePattern(nil, ptr(" {2,}"))
	p.normalizer = append(norm, stripNormalizer{right: true}, replaceNormalizer{pattern: spaces, content: []rune("▁")})
	meta := metaspace{replacement: '▁', scheme: scheme, split: true}
	p.split, p.decoder = meta, decoderChain{meta}
	eos, ok := model.ids["</s>"]
	if !ok {
		return p, errors.New(`the model has no "</s>" piece for T5's template`)
	}
	eosItem := templateItem{special: "</s>", id: eos}
	p.template = &template{
		single: []templateItem{{sequence: 0}, eosItem},
		pair:   []templateItem{{sequence: 0}, eosItem, {sequence: 1}, eosItem},
	}
	return p, nil
}

// parseSentencePiece reads the protobuf wire format of ModelProto: pieces
// (field 1: piece 1, score 2, type 3), trainer_spec (2: model_type 3,
// unk_id 40) and normalizer_spec (3: precompiled_charsmap 2).
func parseSentencePiece(data []byte) (*spmModel, error) {
	m := &spmModel{modelType: 1}
	err := protoFields(data, func(field int, v uint64, b []byte) error {
		switch field {
		case 1:
			pc, typ := UnigramPiece{}, spmNormal
			err := protoFields(b, func(f int, v uint64, b []byte) error {
				switch f {
				case 1:
					pc.Piece = string(b)
				case 2:
					pc.Score = float64(math.Float32frombits(uint32(v)))
				case 3:
					typ = int(v)
				}
				return nil
			})
			m.pieces, m.types = append(m.pieces, pc), append(m.types, typ)
			return err
		case 2:
			return protoFields(b, func(f int, v uint64, _ []byte) error {
				switch f {
				case 3:
					m.modelType = int(v)
				case 40:
					m.unkID = int64(int32(v))
				}
				return nil
			})
		case 3:
			return protoFields(b, func(f int, _ uint64, b []byte) error {
				if f == 2 {
					m.charsmap = append([]byte(nil), b...)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not a SentencePiece model: %w", err)
	}
	if len(m.pieces) == 0 {
		return nil, errors.New("not a SentencePiece model: no pieces")
	}
	return m, nil
}

// protoFields calls f for every field of a protobuf message: v holds a
// varint or fixed-size value, b a length-delimited one.
func protoFields(data []byte, f func(field int, v uint64, b []byte) error) error {
	for len(data) > 0 {
		key, n := binary.Uvarint(data)
		if n <= 0 {
			return errors.New("bad field key")
		}
		data = data[n:]
		field, wire := int(key>>3), key&7
		var v uint64
		var b []byte
		switch wire {
		case 0:
			if v, n = binary.Uvarint(data); n <= 0 {
				return fmt.Errorf("field %d: bad varint", field)
			}
			data = data[n:]
		case 1:
			if len(data) < 8 {
				return fmt.Errorf("field %d: truncated", field)
			}
			v, data = binary.LittleEndian.Uint64(data), data[8:]
		case 2:
			l, n := binary.Uvarint(data)
			if n <= 0 || l > uint64(len(data)-n) {
				return fmt.Errorf("field %d: bad length", field)
			}
			b, data = data[n:n+int(l)], data[n+int(l):]
		case 5:
			if len(data) < 4 {
				return fmt.Errorf("field %d: truncated", field)
			}
			v, data = uint64(binary.LittleEndian.Uint32(data)), data[4:]
		default:
			return fmt.Errorf("field %d: wire type %d", field, wire)
		}
		if err := f(field, v, b); err != nil {
			return err
		}
	}
	return nil
}
