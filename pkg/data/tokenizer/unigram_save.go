package tokenizer

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// Save writes tokenizer.json into dir, as SentencePieceUnigramTokenizer's
// save does: the special tokens as added tokens, the Nmt/NFKC/Replace
// normalizer, Metaspace pre-tokenizer and decoder, and the Unigram model
// (vocab as [piece, score] pairs). The file is written atomically;
// tokenizers.Tokenizer.from_file, transformers' PreTrainedTokenizerFast and
// gotrl's Load read it. It returns the names written.
func (t *TrainedUnigram) Save(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("save tokenizer: %w", err)
	}
	path := filepath.Join(dir, "tokenizer.json")
	if err := safetensors.WriteAtomic(path, t.writeTokenizerJSON); err != nil {
		return nil, fmt.Errorf("save tokenizer: %w", err)
	}
	if _, err := FromTokenizerJSON(path); err != nil {
		return nil, fmt.Errorf("save tokenizer: the written tokenizer.json does not load: %w", err)
	}
	return []string{"tokenizer.json"}, nil
}

func (t *TrainedUnigram) writeTokenizerJSON(w io.Writer) error {
	type added struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	}
	type typed struct {
		Type string `json:"type"`
	}
	scheme := prependNever
	if t.opts.AddPrefixSpace {
		scheme = prependAlways
	}
	meta := map[string]any{"type": "Metaspace", "replacement": string(t.opts.Replacement), "prepend_scheme": scheme, "split": true}
	addedTokens := []added{}
	for i, s := range t.Special {
		addedTokens = append(addedTokens, added{ID: i, Content: s, Special: true})
	}
	vocab := make([][2]any, len(t.Pieces))
	for i, p := range t.Pieces {
		vocab[i] = [2]any{p.Piece, p.Score}
	}
	var unk any
	if t.UnkID >= 0 {
		unk = t.UnkID
	}
	doc := struct {
		Version       string  `json:"version"`
		Truncation    any     `json:"truncation"`
		Padding       any     `json:"padding"`
		AddedTokens   []added `json:"added_tokens"`
		Normalizer    any     `json:"normalizer"`
		PreTokenizer  any     `json:"pre_tokenizer"`
		PostProcessor any     `json:"post_processor"`
		Decoder       any     `json:"decoder"`
		Model         any     `json:"model"`
	}{
		Version: "1.0", AddedTokens: addedTokens,
		Normalizer: map[string]any{"type": "Sequence", "normalizers": []any{
			typed{"Nmt"}, typed{"NFKC"},
			map[string]any{"type": "Replace", "pattern": map[string]string{"Regex": " {2,}"}, "content": " "},
		}},
		PreTokenizer: meta, Decoder: meta,
		Model: map[string]any{"type": "Unigram", "unk_id": unk, "vocab": vocab, "byte_fallback": false},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
