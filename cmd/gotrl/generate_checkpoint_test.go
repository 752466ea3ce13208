package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/models/generate"
)

// checkpointDefaultsCase is one case of
// testdata/generate/checkpoint_defaults.json
// (scripts/fixtures/make_generation_config.py).
type checkpointDefaultsCase struct {
	Name    string
	Model   string
	Files   map[string]json.RawMessage
	Prompts []string
	Kwargs  map[string]any
	IDs     [][]int64
}

// TestGenerateCheckpointDefaults: `gotrl generate` on a copy of a tiny
// checkpoint with its own generation_config.json (or legacy generation
// attributes in config.json) writes the ids transformers'
// model.generate(**inputs) wrote from the same directory — the
// checkpoint's beams, n-gram ban, repetition penalty, lengths and eos ids
// acting — and a flag the user gives overrides the file as an explicit
// generate() argument does.
func TestGenerateCheckpointDefaults(t *testing.T) {
	b, err := os.ReadFile("../../testdata/generate/checkpoint_defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixture struct {
		Vocab []string
		Cases []checkpointDefaultsCase
	}
	if err := json.Unmarshal(b, &fixture); err != nil {
		t.Fatal(err)
	}
	vocab := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(vocab, []byte(strings.Join(fixture.Vocab, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range fixture.Cases {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			copyModel(t, filepath.Join("../../testdata/models", c.Model), dir, vocab)
			for name, body := range c.Files {
				if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(t.TempDir(), "out.jsonl")
			args := []string{"generate", "--model", dir, "--tokenizer", vocab, "--add-special-tokens=false", "--output", out, "--threads", "1"}
			for _, p := range c.Prompts {
				args = append(args, "--prompt", p)
			}
			keys := make([]string, 0, len(c.Kwargs))
			for k := range c.Kwargs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys { // generate()'s keyword arguments are the flags
				args = append(args, "--"+strings.ReplaceAll(k, "_", "-"), fmt.Sprint(c.Kwargs[k]))
			}
			cmd := newRootCmd()
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			cmd.SetArgs(args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got := outputIDs(t, out); !reflect.DeepEqual(got, c.IDs) {
				t.Fatalf("gotrl %s\nids  %v\nwant %v (transformers' generate)", strings.Join(args, " "), got, c.IDs)
			}
		})
	}
}

// outputIDs reads the "ids" of each record of a generate --output file.
func outputIDs(t *testing.T, path string) [][]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids [][]int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct{ IDs []int64 }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ids = append(ids, rec.IDs)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestGenerateRefusesCheckpointField: a generation_config.json setting
// gotrl cannot compute stops `gotrl generate` before anything is generated,
// naming the file and the field, unless a flag the user gives replaces it.
func TestGenerateRefusesCheckpointField(t *testing.T) {
	cases := []struct {
		name, genConfig string
		flags           []string
		wantErr         []string // "" = runs
	}{
		{"typical_p", `{"do_sample": true, "typical_p": 0.5}`, nil, []string{"generation_config.json", "typical_p 0.5", "no flag overrides it"}},
		{"group beams", `{"num_beams": 4, "num_beam_groups": 2, "diversity_penalty": 1.0}`, nil, []string{"generation_config.json", "num_beam_groups 2"}},
		{"never without the flag", `{"num_beams": 2, "early_stopping": "never"}`, nil, []string{"generation_config.json", `early_stopping "never"`, "--early-stopping"}},
		{"never overridden", `{"num_beams": 2, "early_stopping": "never"}`, []string{"--early-stopping=false"}, nil},
		{"max_length too long for n_positions", `{"max_length": 100}`, nil, []string{"max_length 100", "n_positions 64", "--max-new-tokens"}},
		{"max_length replaced by the flag", `{"max_length": 100}`, []string{"--max-new-tokens", "3"}, nil},
	}
	vocab := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(vocab, []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n基\n于\n图\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			copyModel(t, "../../testdata/models/gpt2", dir, vocab)
			if err := os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(c.genConfig), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := newRootCmd()
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			cmd.SetArgs(append([]string{"generate", "--model", dir, "--tokenizer", vocab, "--prompt", "基于图", "--threads", "1"}, c.flags...))
			err := cmd.Execute()
			if c.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestFillTokenIDs: eos and pad the flags and the checkpoint leave unset
// come from the tokenizer (a BERT vocabulary: [PAD] 0, [SEP] 3, no eos),
// except that a generation_config.json's missing pad is eos, as in HF.
func TestFillTokenIDs(t *testing.T) {
	vocab := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(vocab, []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n基\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := tokenizerFor("", vocab)
	if err != nil {
		t.Fatal(err)
	}
	i64 := func(v int64) *int64 { return &v }
	cases := []struct {
		name             string
		generationConfig bool
		eos              generate.IDs
		pad              *int64
		wantEOS          generate.IDs
		wantPad          int64
	}{
		{"config.json names neither", false, nil, nil, generate.IDs{3}, 0},
		{"generation_config.json names neither: pad is eos", true, nil, nil, generate.IDs{3}, 3},
		{"generation_config.json names eos", true, generate.IDs{7, 8}, nil, generate.IDs{7, 8}, 7},
		{"named ids stay", false, generate.IDs{7}, i64(5), generate.IDs{7}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := generate.Default()
			g.EOSTokenID, g.PadTokenID = c.eos, c.pad
			fillTokenIDs(&g, c.generationConfig, tk)
			if !reflect.DeepEqual(g.EOSTokenID, c.wantEOS) || g.PadTokenID == nil || *g.PadTokenID != c.wantPad {
				t.Fatalf("eos %v pad %v, want %v and %d", g.EOSTokenID, g.PadTokenID, c.wantEOS, c.wantPad)
			}
		})
	}
}
