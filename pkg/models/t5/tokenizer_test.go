package t5

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models/generate"
)

// t5UnigramDir assembles a T5 directory as a hub checkpoint has it: the
// tiny model of testdata/models/t5-unigram and, beside it, the SentencePiece
// Unigram tokenizer it was built for (tokenizer.json is kept gzipped with
// the tokenizer fixtures). Both come from scripts/fixtures.
func t5UnigramDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyTo := func(src, name string, gz bool) {
		f, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var r io.Reader = f
		if gz {
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	model := filepath.Join(fixtures, "t5-unigram")
	for _, name := range []string{"config.json", "generation_config.json", "model.safetensors", "cases.json"} {
		copyTo(filepath.Join(model, name), name, false)
	}
	tok := "../../data/tokenizer/testdata/unigram_t5"
	copyTo(filepath.Join(tok, "tokenizer.json.gz"), "tokenizer.json", true)
	copyTo(filepath.Join(tok, "tokenizer_config.json"), "tokenizer_config.json", false)
	return dir
}

// TestUnigramTokenizerGenerate runs a T5 directory with its own Unigram
// tokenizer: tokenizer.Load picks tokenizer.json, the prompt ids (with
// T5's </s> template and an <extra_id_0> sentinel) equal T5TokenizerFast's,
// greedy generation equals HF generate, and the decoded text equals HF's.
func TestUnigramTokenizerGenerate(t *testing.T) {
	dir := t5UnigramDir(t)
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, store, err := Load(dir, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if int64(tok.VocabSize()) != m.Config.VocabSize {
		t.Fatalf("tokenizer has %d ids, model %d", tok.VocabSize(), m.Config.VocabSize)
	}
	var f struct {
		Cases []struct {
			Prompt   string
			InputIDs []int64 `json:"input_ids"`
			Sequence []int64
			Text     string
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := generate.Default()
	c.MaxNewTokens = 8
	c.EOSTokenID = generate.IDs{tok.Special().EOS}
	for _, tc := range f.Cases {
		enc, err := tok.Encode(tc.Prompt, true)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(enc.IDs, tc.InputIDs) {
			t.Errorf("%q: ids %v, HF %v", tc.Prompt, enc.IDs, tc.InputIDs)
			continue
		}
		out, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: [][]int64{enc.IDs}}, c)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Sequences[0], tc.Sequence) {
			t.Errorf("%q: generated %v, HF %v", tc.Prompt, out.Sequences[0], tc.Sequence)
		}
		if got := tok.Decode(out.Sequences[0], true); got != tc.Text {
			t.Errorf("%q: decoded %q, HF %q", tc.Prompt, got, tc.Text)
		}
	}
}
