package tokenizer

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// configsFixture is testdata/configs.json.gz, written by
// scripts/fixtures/make_tokenizer_configs.py: tiny model directories in the
// layouts of public checkpoints, each with what transformers'
// AutoTokenizer gives for a few texts, or the refusal gotrl must give.
type configsFixture struct {
	Blobs      map[string]string
	Tokenizers []configCase
}

type configCase struct {
	Name, About, Class string
	Files              map[string]string
	Error              string
	Cases              []struct {
		Text    string
		Pair    *string
		Special bool
		IDs     []int64
		TypeIDs []int64  `json:"type_ids"`
		Offsets [][2]int `json:"offsets"`
		Decode  string
		Skip    string `json:"decode_skip"`
	}
	Specials  map[string]*int64
	VocabSize int `json:"vocab_size"`
}

func readConfigsFixture(t *testing.T) configsFixture {
	t.Helper()
	var fx configsFixture
	if err := json.NewDecoder(readGzip(t, "testdata/configs.json.gz")).Decode(&fx); err != nil {
		t.Fatal(err)
	}
	return fx
}

// configDir writes the files of c into a new directory: "@name" is a blob,
// "@testdata/…" a committed fixture file (unpacked when it ends in .gz).
func configDir(t *testing.T, fx configsFixture, c configCase) string {
	t.Helper()
	files := map[string]string{}
	for name, content := range c.Files {
		switch {
		case strings.HasPrefix(content, "@testdata/"):
			path := strings.TrimPrefix(content, "@")
			var data []byte
			var err error
			if strings.HasSuffix(path, ".gz") {
				data, err = io.ReadAll(readGzip(t, path))
			} else {
				data, err = os.ReadFile(path)
			}
			if err != nil {
				t.Fatal(err)
			}
			content = string(data)
		case strings.HasPrefix(content, "@"):
			blob, ok := fx.Blobs[content[1:]]
			if !ok {
				t.Fatalf("%s: no blob %s", c.Name, content)
			}
			content = blob
		}
		files[name] = content
	}
	return writeFiles(t, files)
}

// TestConfigs loads every configuration as Load loads a checkpoint
// directory and requires transformers' ids, type ids, offsets, decodes,
// special-token ids and vocabulary size, or gotrl's refusal naming the
// directory's file.
func TestConfigs(t *testing.T) {
	fx := readConfigsFixture(t)
	for _, c := range fx.Tokenizers {
		t.Run(c.Name, func(t *testing.T) {
			dir := configDir(t, fx, c)
			tok, err := Load(dir)
			if c.Error != "" {
				if err == nil || !strings.Contains(err.Error(), c.Error) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("%s\nerror %v, want one naming %s and containing %q", c.About, err, dir, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", c.About, err)
			}
			for _, k := range c.Cases {
				var enc Encoding
				if k.Pair != nil {
					enc, err = tok.EncodePair(k.Text, *k.Pair, k.Special)
				} else {
					enc, err = tok.Encode(k.Text, k.Special)
				}
				label := fmt.Sprintf("%q", k.Text)
				if k.Pair != nil {
					label += fmt.Sprintf(" + %q", *k.Pair)
				}
				if !k.Special {
					label += " (no special tokens)"
				}
				if err != nil {
					t.Errorf("%s: %v", label, err)
					continue
				}
				if !slices.Equal(enc.IDs, k.IDs) {
					t.Errorf("%s: ids\n got  %v %q\n want %v", label, enc.IDs, enc.Tokens, k.IDs)
					continue
				}
				if !slices.Equal(enc.TypeIDs, k.TypeIDs) {
					t.Errorf("%s: type ids\n got  %v\n want %v", label, enc.TypeIDs, k.TypeIDs)
				}
				if !slices.Equal(enc.Offsets, k.Offsets) {
					t.Errorf("%s: offsets\n got  %v\n want %v", label, enc.Offsets, k.Offsets)
				}
				if got := tok.Decode(enc.IDs, false); got != k.Decode {
					t.Errorf("%s: decode\n got  %q\n want %q", label, got, k.Decode)
				}
				if got := tok.Decode(enc.IDs, true); got != k.Skip {
					t.Errorf("%s: decode skipping special tokens\n got  %q\n want %q", label, got, k.Skip)
				}
			}
			if got := tok.VocabSize(); got != c.VocabSize {
				t.Errorf("vocabulary size %d, want %d", got, c.VocabSize)
			}
			sp := tok.Special()
			if c.Class == "PreTrainedTokenizerFast" && !slices.ContainsFunc(slices.Collect(maps.Values(c.Specials)), func(id *int64) bool { return id != nil }) {
				// transformers has no special tokens here; gotrl guesses them
				// from the added tokens' names, as commands need a pad and an eos.
				return
			}
			for role, got := range map[string]int64{"pad": sp.PAD, "unk": sp.UNK, "cls": sp.CLS, "sep": sp.SEP,
				"mask": sp.MASK, "bos": sp.BOS, "eos": sp.EOS} {
				want := int64(-1)
				if id := c.Specials[role]; id != nil {
					want = *id
				}
				if got != want {
					t.Errorf("%s token id %d, want %d", role, got, want)
				}
			}
		})
	}
}
