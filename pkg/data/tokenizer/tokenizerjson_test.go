package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// skeletonTokenizer refills HF's own tokenizer.json for a tokenizer (saved by
// the fixture script with the vocabulary left out) from ../shared and loads it
// through Load, so the JSON path is checked against the same HF outputs.
// config is the tokenizer_config.json written beside it ("" for none).
func skeletonTokenizer(t *testing.T, name, config string, fill func(model map[string]any)) *Pipeline {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".skeleton.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tj map[string]any
	if err := json.Unmarshal(data, &tj); err != nil {
		t.Fatal(err)
	}
	fill(tj["model"].(map[string]any))
	data, err = json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenizerJSONParity(t *testing.T) {
	vocab := filepath.Join(sharedDir(t), "vocab")
	// The HF outputs are BertTokenizerFast's from vocab.txt, which cleans up
	// decodes; a tokenizer.json alone does not (TestTokenizerJSONCleanup).
	bert := skeletonTokenizer(t, "bert", `{"clean_up_tokenization_spaces": true}`, func(m map[string]any) {
		v, _, err := readVocabTxt(filepath.Join(vocab, "bert-base-chinese-vocab.txt"))
		if err != nil {
			t.Fatal(err)
		}
		m["vocab"] = v
	})
	gpt2 := skeletonTokenizer(t, "gpt2", "", func(m map[string]any) {
		v, err := readVocabJSON(filepath.Join(vocab, "gpt2", "encoder.json"))
		if err != nil {
			t.Fatal(err)
		}
		merges, err := readMerges(filepath.Join(vocab, "gpt2", "vocab.bpe"))
		if err != nil {
			t.Fatal(err)
		}
		lines := make([]string, len(merges))
		for i, mg := range merges {
			lines[i] = mg.a + " " + mg.b
		}
		m["vocab"], m["merges"] = v, lines
	})
	for _, c := range readParityCases(t) {
		if c.Ref != nil {
			continue // the hand-written cases exercise every stage
		}
		if msg := compareCase(bert, *c.Text, c.Pair, c.Bert); msg != "" {
			t.Errorf("bert %q: %s", *c.Text, msg)
		}
		if msg := compareCase(gpt2, *c.Text, c.Pair, c.GPT2); msg != "" {
			t.Errorf("gpt2 %q: %s", *c.Text, msg)
		}
	}
}

func TestTokenizerJSONErrors(t *testing.T) {
	const uni = `"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]}`
	const wp = `"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}`
	const bl = `"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}`
	tests := []struct {
		name, json, want string
	}{
		{"model", `{"model": {"type": "WordLevel", "vocab": {"<unk>": 0}}}`, `model type "WordLevel" is not supported`},
		{"normalizer", `{"normalizer": {"type": "ByteLevel"}, ` + wp + `}`, `normalizer type "ByteLevel" is not supported`},
		{"pre-tokenizer", `{"pre_tokenizer": {"type": "Digits"}, ` + wp + `}`, `pre_tokenizer type "Digits" is not supported`},
		{"decoder", `{"pre_tokenizer": {"type": "BertPreTokenizer"}, "decoder": {"type": "CTC"}, ` + wp + `}`, `decoder type "CTC" is not supported`},
		{"post-processor", `{"pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": {"type": "Custom"}, ` + wp + `}`, `post_processor type "Custom" is not supported`},
		{"post-processor sequence", `{"post_processor": {"type": "Sequence", "processors": [{"type": "BertProcessing", "sep": ["[UNK]", 0], "cls": ["[UNK]", 0]}, {"type": "ByteLevel"}]}, ` + wp + `}`,
			`post_processor.processors[1] ByteLevel: only trimming (ByteLevel) may come before the processor that adds special tokens`},
		{"single word", `{"added_tokens": [{"id": 0, "content": "x", "single_word": true}], ` + wp + `}`, `added_tokens[0] "x": single_word is not supported`},
		{"bpe dropout", `{` + bl + `, "model": {"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}, "merges": []}}`, "model BPE: dropout 0.1 is not supported"},
		{"single template with B", `{"post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "B", "type_id": 0}}], "pair": [], "special_tokens": {}}, ` + wp + `}`,
			`post_processor TemplateProcessing single[0]: sequence B in the template of one text`},
		{"wordpiece unk", `{"model": {"type": "WordPiece", "unk_token": "<unk>", "vocab": {"[UNK]": 0, "a": 1}}}`, `wordpiece: unknown token "<unk>" is not in the vocabulary`},
		{"bpe merge", `{` + bl + `, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}`, `model.merges[0]: merge "a": want two tokens`},
		{"empty vocab", `{"pre_tokenizer": {"type": "BertPreTokenizer"}, "model": {"type": "WordPiece", "vocab": {}}}`, "model.vocab: empty vocabulary"},
		{"syntax", "{\n\"model\": {\n\"type\": \"WordPiece\",,\n}}", "line 3"},
		{"nested normalizer", `{"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "StripAccents"}]}, ` + uni + `}`,
			`normalizer.normalizers[1] type "StripAccents" is not supported`},
		{"nested decoder", `{"decoder": {"type": "Sequence", "decoders": [{"type": "WordPiece"}]}, ` + uni + `}`,
			`decoder.decoders[0] type "WordPiece" is not supported`},
		{"nested pre-tokenizer", `{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Punctuation"}]}, ` + uni + `}`,
			`pre_tokenizer.pretokenizers[0] type "Punctuation" is not supported`},
		{"regex", `{"normalizer": {"type": "Replace", "pattern": {"Regex": "a(?=b)"}, "content": ""}, ` + uni + `}`,
			`normalizer Replace: pattern Regex "a(?=b)"`},
		{"pattern", `{"normalizer": {"type": "Replace", "pattern": {}, "content": ""}, ` + uni + `}`,
			`normalizer Replace: pattern: want {"String": ...} or {"Regex": ...}`},
		{"charsmap", `{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "AQAAAA=="}, ` + uni + `}`,
			`normalizer Precompiled: precompiled_charsmap: trie size 1`},
		{"charsmap base64", `{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "!!"}, ` + uni + `}`, `illegal base64`},
		{"prefix space", `{"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}, ` + uni + `}`,
			`pre_tokenizer Metaspace: add_prefix_space false does not match prepend_scheme "always"`},
		{"prepend scheme", `{"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"}, ` + uni + `}`,
			`prepend_scheme "sometimes": want always, first or never`},
		{"strip decoder", `{"decoder": {"type": "Strip", "content": "ab", "start": 1, "stop": 0}, ` + uni + `}`,
			`decoder Strip: want one content character`},
		{"vocab", `{"model": {"type": "Unigram", "vocab": [["a", -1.0], ["b"]]}}`, `model.vocab[1]: want [piece, score]`},
		{"unk id", `{"model": {"type": "Unigram", "unk_id": 2, "vocab": [["a", -1.0]]}}`, `unk_id 2 is not below the vocabulary size 1`},
		{"empty vocab", `{"model": {"type": "Unigram", "vocab": []}}`, `the vocabulary is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := FromTokenizerJSON(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, path, tt.want)
			}
		})
	}
}

// TestTokenizerJSONCleanup: transformers' cleanup (" ' " → "'") runs after
// the WordPiece decoder only when tokenizer_config.json turns it on:
// transformers 4.46's default is off (BertTokenizer's, for a vocab.txt
// alone, is on).
func TestTokenizerJSONCleanup(t *testing.T) {
	const tj = `{"pre_tokenizer": {"type": "BertPreTokenizer"}, "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "don": 1, "'": 2, "t": 3}}}`
	tests := []struct {
		name   string
		config string // tokenizer_config.json; "" for none
		want   string
	}{
		{"default", "", "don ' t"},
		{"config on", `{"clean_up_tokenization_spaces": true}`, "don't"},
		{"config off", `{"clean_up_tokenization_spaces": false}`, "don ' t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"tokenizer.json": tj}
			if tt.config != "" {
				files["tokenizer_config.json"] = tt.config
			}
			tok, err := Load(writeFiles(t, files))
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.Decode([]int64{1, 2, 3}, false); got != tt.want {
				t.Errorf("decode %q, want %q", got, tt.want)
			}
		})
	}
}
