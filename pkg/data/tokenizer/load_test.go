package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writeFiles creates name → content files in a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// byteVocab is a GPT-2 vocab.json holding the 256 byte tokens and extra.
func byteVocab(extra ...string) string {
	var b strings.Builder
	b.WriteString("{")
	n := 0
	add := func(tok string) {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + strings.ReplaceAll(strings.ReplaceAll(tok, `\`, `\\`), `"`, `\"`) + `": ` + strconv.Itoa(n))
		n++
	}
	for i := 0; i < 256; i++ {
		add(byteLevelString(string([]byte{byte(i)})))
	}
	for _, tok := range extra {
		add(tok)
	}
	b.WriteString("}")
	return b.String()
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error; "DIR" stands for the directory
	}{
		{"no tokenizer files", map[string]string{"config.json": "{}"}, []string{"DIR", "no tokenizer.json, spiece.model, vocab.txt"}},
		{"empty vocab.txt", map[string]string{"vocab.txt": ""}, []string{"vocab.txt", "empty vocabulary"}},
		{"vocab.txt without [CLS]", map[string]string{"vocab.txt": "[UNK]\n[SEP]\na\n"}, []string{"vocab.txt", "lacks [CLS]"}},
		{"bad tokenizer_config.json", map[string]string{"vocab.txt": "[UNK]\n[CLS]\n[SEP]\n", "tokenizer_config.json": `{"do_lower_case": "yes"}`}, []string{"tokenizer_config.json", "do_lower_case: want true or false"}},
		{"merges.txt missing", map[string]string{"vocab.json": byteVocab()}, []string{"merges.txt", "no such file"}},
		{"vocab.json missing", map[string]string{"merges.txt": "#version: 0.2\n"}, []string{"vocab.json", "no such file"}},
		{"empty vocab.json", map[string]string{"vocab.json": "{}", "merges.txt": ""}, []string{"vocab.json", "empty vocabulary"}},
		{"malformed vocab.json", map[string]string{"vocab.json": "{\n\"a\": 1,\n\"b\": x\n}", "merges.txt": ""}, []string{"vocab.json", "line 3"}},
		{"malformed merges line", map[string]string{"vocab.json": byteVocab("ab"), "merges.txt": "#version: 0.2\na b\na  b\n"}, []string{"merges.txt:3", `merge "a  b"`}},
		{"merges line with one token", map[string]string{"vocab.json": byteVocab("ab"), "merges.txt": "a b\nab\n"}, []string{"merges.txt:2", `merge "ab"`}},
		{"merge result not in vocabulary", map[string]string{"vocab.json": byteVocab(), "merges.txt": "#version: 0.2\na b\n"}, []string{"merges.txt:2", "not in vocabulary"}},
		{"vocab.json lacks a byte", map[string]string{"vocab.json": `{"a": 0}`, "merges.txt": ""}, []string{"vocab.json", "lacks the token"}},
		{"encoder.json without vocab.bpe", map[string]string{"encoder.json": byteVocab()}, []string{"vocab.bpe", "no such file"}},
		{"class without its files", map[string]string{"vocab.txt": "[UNK]\n[CLS]\n[SEP]\n", "tokenizer_config.json": `{"tokenizer_class": "GPT2TokenizerFast"}`},
			[]string{"tokenizer_config.json tokenizer_class", "GPT2Tokenizer converts vocab.json + merges.txt or spiece.model, but", "DIR", "has only vocab.txt"}},
		{"unmodelled class", map[string]string{"vocab.txt": "[UNK]\n[CLS]\n[SEP]\n", "config.json": `{"model_type": "deberta"}`},
			[]string{"config.json model_type \"deberta\"", `tokenizer_class "DebertaTokenizer" is not supported`}},
		{"unknown class without tokenizer.json", map[string]string{"vocab.txt": "[UNK]\n[CLS]\n[SEP]\n", "tokenizer_config.json": `{"tokenizer_class": "BertJapaneseTokenizer"}`},
			[]string{`tokenizer_class "BertJapaneseTokenizer" is not supported without tokenizer.json`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if w == "DIR" {
					w = dir
				}
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestLoadModelTypeVocab: a class guessed from config.json's model_type
// alone yields to tokenizer files of another kind. A GPT-2 checkpoint with
// BERT's vocab.txt (gotrl saves the book's Chinese GPT-2 so) loads as BERT,
// and one with a WordPiece tokenizer.json does not get GPT-2's
// <|endoftext|> added (transformers would add it, one token more than the
// model has).
func TestLoadModelTypeVocab(t *testing.T) {
	const vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n你\n好\n"
	const tj = `{"normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
		"pre_tokenizer": {"type": "BertPreTokenizer"},
		"post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
		"added_tokens": [{"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[UNK]", "special": true},
			{"id": 2, "content": "[CLS]", "special": true}, {"id": 3, "content": "[SEP]", "special": true}, {"id": 4, "content": "[MASK]", "special": true}],
		"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "你": 5, "好": 6}}}`
	for name, file := range map[string]map[string]string{
		"vocab.txt":      {"vocab.txt": vocab},
		"tokenizer.json": {"tokenizer.json": tj},
	} {
		t.Run(name, func(t *testing.T) {
			file["config.json"] = `{"model_type": "gpt2"}`
			tok, err := Load(writeFiles(t, file))
			if err != nil {
				t.Fatal(err)
			}
			enc, err := tok.Encode("你好", true)
			if err != nil {
				t.Fatal(err)
			}
			if want := []int64{2, 5, 6, 3}; !slices.Equal(enc.IDs, want) {
				t.Errorf("ids %v, want %v", enc.IDs, want)
			}
			if tok.VocabSize() != 7 {
				t.Errorf("vocabulary size %d, want 7", tok.VocabSize())
			}
			if sp := tok.Special(); sp.PAD != 0 || sp.UNK != 1 || sp.CLS != 2 || sp.SEP != 3 || sp.MASK != 4 || sp.BOS != -1 || sp.EOS != -1 {
				t.Errorf("specials %+v", sp)
			}
		})
	}
}
