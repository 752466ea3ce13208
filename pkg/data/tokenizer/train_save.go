package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// Save writes the tokenizer into dir as HF's save_pretrained does:
// tokenizer.json (which `tokenizers.Tokenizer.from_file`, transformers'
// PreTrainedTokenizerFast and gotrl's Load read), the model's own files
// (vocab.txt for WordPiece, vocab.json + merges.txt for BPE),
// tokenizer_config.json and special_tokens_map.json, so that
// AutoTokenizer.from_pretrained(dir) works. Every file is written
// atomically. It returns the names written.
func (t *Trained) Save(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("save tokenizer: %w", err)
	}
	files := map[string]func(io.Writer) error{"tokenizer.json": t.writeTokenizerJSON}
	names := []string{"tokenizer.json"}
	switch t.Kind {
	case KindWordPiece:
		files["vocab.txt"] = t.writeVocabTxt
		names = append(names, "vocab.txt")
	case KindBPE:
		files["vocab.json"], files["merges.txt"] = t.writeVocabJSON, t.writeMergesTxt
		names = append(names, "vocab.json", "merges.txt")
	default:
		return nil, fmt.Errorf("save tokenizer: cannot save a %q model", t.Kind)
	}
	for _, name := range names {
		if err := writeAtomic(filepath.Join(dir, name), files[name]); err != nil {
			return nil, err
		}
	}
	// The roles of the special tokens are the ones gotrl's loader gives
	// them, read back from the tokenizer.json just written.
	p, err := FromTokenizerJSON(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("save tokenizer: the written tokenizer.json does not load: %w", err)
	}
	cfg, roles := t.transformersConfig(p.Special())
	for name, v := range map[string]any{"tokenizer_config.json": cfg, "special_tokens_map.json": roles} {
		if err := writeAtomic(filepath.Join(dir, name), func(w io.Writer) error { return encodeJSON(w, v, "  ") }); err != nil {
			return nil, err
		}
	}
	return append(names, "tokenizer_config.json", "special_tokens_map.json"), nil
}

func writeAtomic(path string, fill func(io.Writer) error) error {
	if err := safetensors.WriteAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	}); err != nil {
		return fmt.Errorf("save tokenizer: %w", err)
	}
	return nil
}

// encodeJSON writes v without HTML escaping ("<|endoftext|>" stays as it
// is, as serde writes it).
func encodeJSON(w io.Writer, v any, indent string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	return enc.Encode(v)
}

// orderedVocab marshals a vocabulary as a JSON object in id order, as
// tokenizers does (serde's OrderedVocabIter).
type orderedVocab []string

func (v orderedVocab) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for id, tok := range v {
		if id > 0 {
			b.WriteByte(',')
		}
		if err := encodeJSON(&b, tok, ""); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // the encoder's newline
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(id))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (t *Trained) writeVocabTxt(w io.Writer) error {
	for _, tok := range t.Vocab {
		if _, err := io.WriteString(w, tok+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func (t *Trained) writeVocabJSON(w io.Writer) error {
	data, err := orderedVocab(t.Vocab).MarshalJSON()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// writeMergesTxt writes merges.txt as BPE::save does.
func (t *Trained) writeMergesTxt(w io.Writer) error {
	if _, err := io.WriteString(w, "#version: 0.2\n"); err != nil {
		return err
	}
	for _, m := range t.Merges {
		if _, err := io.WriteString(w, m[0]+" "+m[1]+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// ids maps the vocabulary back to ids.
func (t *Trained) ids() map[string]int {
	m := make(map[string]int, len(t.Vocab))
	for id, tok := range t.Vocab {
		m[tok] = id
	}
	return m
}

// transformersConfig is what transformers' save_pretrained writes beside
// tokenizer.json: tokenizer_config.json (the class AutoTokenizer builds, the
// special tokens by role, added_tokens_decoder) and special_tokens_map.json.
// A WordPiece tokenizer with BERT's five special tokens is a BertTokenizer
// (transformers picks BertTokenizerFast over tokenizer.json); anything else
// is a plain PreTrainedTokenizerFast, which adds no tokens of its own.
func (t *Trained) transformersConfig(sp Specials) (map[string]any, map[string]string) {
	roles := map[string]string{}
	for name, id := range map[string]int64{
		"pad_token": sp.PAD, "unk_token": sp.UNK, "cls_token": sp.CLS, "sep_token": sp.SEP,
		"mask_token": sp.MASK, "bos_token": sp.BOS, "eos_token": sp.EOS,
	} {
		if id >= 0 {
			roles[name] = t.Vocab[id]
		}
	}
	decoder := map[string]any{}
	ids := t.ids()
	for _, s := range t.Special {
		decoder[strconv.Itoa(ids[s])] = map[string]any{
			"content": s, "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true,
		}
	}
	cfg := map[string]any{
		"added_tokens_decoder": decoder, "tokenizer_class": "PreTrainedTokenizerFast",
		"model_max_length": json.Number("1000000000000000019884624838656"), // transformers' VERY_LARGE_INTEGER: no limit
	}
	for k, v := range roles {
		cfg[k] = v
	}
	switch t.Kind {
	case KindWordPiece:
		cfg["clean_up_tokenization_spaces"] = true
		if min(sp.PAD, sp.UNK, sp.CLS, sp.SEP, sp.MASK) >= 0 {
			o := t.wordPiece
			cfg["tokenizer_class"] = "BertTokenizer"
			cfg["do_lower_case"] = o.Lowercase
			cfg["strip_accents"] = o.StripAccents
			cfg["tokenize_chinese_chars"] = o.ChineseChars
		}
	case KindBPE:
		cfg["clean_up_tokenization_spaces"] = false
	}
	return cfg, roles
}
