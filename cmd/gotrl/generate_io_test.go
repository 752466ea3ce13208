package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/data"
)

// fixtureModel returns a committed tiny checkpoint and a 512-entry
// vocabulary matching its vocab_size (5 specials + 507 CJK characters).
func fixtureModel(t *testing.T, name string) (model, vocab string) {
	t.Helper()
	model = filepath.Join("../../testdata/models", name)
	if _, err := os.Stat(model); err != nil {
		t.Skip("fixture missing")
	}
	toks := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	for r := rune(0x4E00); len(toks) < 512; r++ {
		toks = append(toks, string(r))
	}
	vocab = filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(vocab, []byte(strings.Join(toks, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return model, vocab
}

// cjk returns n vocabulary characters starting at the i-th.
func cjk(i, n int) string {
	var b strings.Builder
	for k := range n {
		b.WriteRune(rune(0x4E00 + i + k))
	}
	return b.String()
}

// readJSONL decodes each line of path into ordered raw members.
func readJSONL(t *testing.T, path string) [][]member {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]member
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		ms, err := members(data.Record{Raw: sc.Bytes()})
		if err != nil {
			t.Fatalf("%v in %s", err, sc.Text())
		}
		out = append(out, ms)
	}
	return out
}

// TestGeneratePassThrough: --output carries every input field through
// unchanged and in order, adds "prediction" and "ids" (replacing old
// ones), and generates what --prompt gives for the same text; the one
// documented command line then scores the file.
func TestGeneratePassThrough(t *testing.T) {
	model, vocab := fixtureModel(t, "gpt2")
	dir := t.TempDir()
	in := filepath.Join(dir, "test.jsonl")
	lines := []string{
		`{"id": 12345678901234567890, "content": "` + cjk(3, 6) + `", "title": "` + cjk(3, 3) + `", "meta": {"tags": ["a", 1.50]}, "prediction": "old"}`,
		``,
		`{"content":"` + cjk(40, 4) + `","title":"标题&<b>","ids":[9]}`,
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pred := filepath.Join(dir, "pred.jsonl")
	common := []string{"generate", "--model", model, "--tokenizer", vocab, "--max-new-tokens", "4", "--threads", "1"}
	if _, _, err := runCLI(t, append(common, "--input", in, "--field", "prompt=content", "--output", pred)...); err != nil {
		t.Fatal(err)
	}
	got := readJSONL(t, pred)
	wantKeys := [][]string{{"id", "content", "title", "meta", "prediction", "ids"}, {"content", "title", "prediction", "ids"}}
	wantRaw := []map[string]string{
		{"id": "12345678901234567890", "content": `"` + cjk(3, 6) + `"`, "meta": `{"tags": ["a", 1.50]}`},
		{"title": `"标题&<b>"`},
	}
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	for i, ms := range got {
		var keys []string
		for _, m := range ms {
			keys = append(keys, m.key)
			if w, ok := wantRaw[i][m.key]; ok && string(m.value) != w {
				t.Errorf("record %d: %s = %s, want %s unchanged", i, m.key, m.value, w)
			}
		}
		if !slices.Equal(keys, wantKeys[i]) {
			t.Errorf("record %d keys %v, want %v", i, keys, wantKeys[i])
		}
		// The same prompt through --prompt gives the same prediction and ids.
		var prompt string
		_ = json.Unmarshal(ms[slices.IndexFunc(ms, func(m member) bool { return m.key == "content" })].value, &prompt)
		alone := filepath.Join(dir, "alone.jsonl")
		if _, _, err := runCLI(t, append(common, "--prompt", prompt, "--output", alone)...); err != nil {
			t.Fatal(err)
		}
		one := readJSONL(t, alone)[0]
		if string(one[1].value) != string(ms[len(ms)-2].value) || string(one[2].value) != string(ms[len(ms)-1].value) {
			t.Errorf("record %d: prediction/ids %s %s, --prompt gives %s %s", i, ms[len(ms)-2].value, ms[len(ms)-1].value, one[1].value, one[2].value)
		}
		if one[0].key != "prompt" || string(one[0].value) != string(marshal(prompt)) {
			t.Errorf("--prompt record starts with %s=%s", one[0].key, one[0].value)
		}
	}
	if out, _, err := runCLI(t, "eval", "summary", "--input", pred, "--field", "reference=title", "--json"); err != nil || !strings.Contains(out, `"examples":2`) {
		t.Errorf("eval summary on generate's output: %q, %v", out, err)
	}
}

// TestGenerateTruncation: a prompt longer than the model's positions is
// cut on the expected side, keeping [CLS] … [SEP], and generates exactly
// what the cut prompt gives when passed whole; stderr counts the cuts.
func TestGenerateTruncation(t *testing.T) {
	long := cjk(0, 100) // 100 tokens + [CLS] [SEP]
	tests := []struct {
		name  string
		model string
		flags []string
		kept  string // the text the cut prompt equals
		other string // the text a cut on the other side would keep
		cut   string // the stderr line
	}{
		// GPT-2, n_positions 64, 5 new tokens: 59 tokens, 57 of them text.
		{"gpt2 default: left", "gpt2", nil, cjk(43, 57), cjk(0, 57), "1 of 2 prompts were longer than 59 tokens and lost their left end"},
		{"gpt2 --truncation-side right", "gpt2", []string{"--truncation-side", "right"}, cjk(0, 57), cjk(43, 57), "lost their right end"},
		{"gpt2 --max-prompt-length 20", "gpt2", []string{"--max-prompt-length", "20"}, cjk(82, 18), cjk(0, 18), "longer than 20 tokens"},
		// BERT UniLM, max_position_embeddings 64: the source keeps its start.
		{"bert-unilm default: right", "bert-unilm", nil, cjk(0, 57), cjk(43, 57), "longer than 59 tokens and lost their right end"},
		{"t5 --max-prompt-length 30", "t5", []string{"--max-prompt-length", "30"}, cjk(0, 28), cjk(72, 28), "longer than 30 tokens and lost their right end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model, vocab := fixtureModel(t, tt.model)
			dir := t.TempDir()
			in := filepath.Join(dir, "in.jsonl")
			if err := os.WriteFile(in, []byte(`{"prompt": "`+long+`"}`+"\n"+`{"prompt": "`+cjk(7, 3)+`"}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			common := []string{"generate", "--model", model, "--tokenizer", vocab, "--max-new-tokens", "5", "--threads", "1"}
			out := filepath.Join(dir, "out.jsonl")
			_, stderr, err := runCLI(t, append(append(common, tt.flags...), "--input", in, "--output", out)...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stderr, tt.cut) {
				t.Errorf("stderr %q lacks %q", stderr, tt.cut)
			}
			ref := filepath.Join(dir, "ref.jsonl")
			if _, _, err := runCLI(t, append(common, "--prompt", tt.kept, "--prompt", tt.other, "--output", ref)...); err != nil {
				t.Fatal(err)
			}
			got, refs := readJSONL(t, out)[0], readJSONL(t, ref)
			want, wrong := refs[0][2].value, refs[1][2].value
			if string(want) == string(wrong) {
				t.Fatalf("both sides' cuts generate %s: the test cannot tell them apart", want)
			}
			if string(got[2].value) != string(want) {
				t.Errorf("ids of the cut prompt %s, of the kept text alone %s (other side: %s)", got[2].value, want, wrong)
			}
			if string(got[0].value) != string(marshal(long)) {
				t.Errorf("the output record's prompt changed: %s", got[0].value)
			}
		})
	}
}

// TestGenerateLengthFlags: length flags the model cannot honour fail
// before anything is generated, naming the flag; no output file appears.
func TestGenerateLengthFlags(t *testing.T) {
	model, vocab := fixtureModel(t, "gpt2")
	tests := []struct {
		flags []string
		want  string
	}{
		{[]string{"--max-new-tokens", "64"}, "--max-new-tokens 64 leaves no position for the prompt: the model has n_positions 64"},
		{[]string{"--min-new-tokens", "80", "--max-new-tokens", "10"}, "--min-new-tokens 80 can never be reached: the model has n_positions 64"},
		{[]string{"--min-new-tokens", "11", "--max-new-tokens", "10"}, "--min-new-tokens 11 > --max-new-tokens 10"},
		{[]string{"--max-prompt-length", "60", "--max-new-tokens", "5"}, "--max-prompt-length 60 + --max-new-tokens 5 exceed the model's n_positions 64"},
		{[]string{"--max-prompt-length", "2"}, "--max-prompt-length 2 leaves no token for the text beside the template's 2 special tokens"},
		{[]string{"--max-prompt-length", "-1"}, `invalid argument "-1" for "--max-prompt-length" flag: -1, want ≥ 0`},
		{[]string{"--truncation-side", "middle"}, `invalid argument "middle" for "--truncation-side" flag: truncation_side "middle": want left or right`},
		{[]string{"--batch-size", "0"}, "--per-device-eval-batch-size 0: want ≥ 1"},
		{[]string{"--field", "prompt=title"}, `in.jsonl:1: field "prompt" (file field "title"): missing (the record has prompt: read one with --field prompt=NAME)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.jsonl")
			if err := os.WriteFile(in, []byte(`{"prompt": "`+cjk(0, 10)+`"}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.jsonl")
			args := []string{"generate", "--model", model, "--tokenizer", vocab, "--input", in, "--output", out, "--threads", "1"}
			_, _, err := runCLI(t, append(args, tt.flags...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written despite the error", out)
			}
		})
	}
}

// cancelOnWrite cancels a context when the progress display reports the
// first prompt done, so the next batch fails part way through a run.
type cancelOnWrite struct {
	cancel context.CancelFunc
	buf    bytes.Buffer
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), "step 1/") {
		c.cancel()
	}
	return len(p), nil
}

// TestGeneratePartial: a run that fails part way keeps what it generated
// in FILE.partial and leaves FILE alone.
func TestGeneratePartial(t *testing.T) {
	model, vocab := fixtureModel(t, "gpt2")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(in, []byte(`{"prompt": "一丁"}`+"\n"+`{"prompt": "丂七"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("earlier results\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := newRootCmd()
	cmd.SetOut(io.Discard)
	cmd.SetErr(&cancelOnWrite{cancel: cancel})
	cmd.SetArgs([]string{"generate", "--model", model, "--tokenizer", vocab, "--input", in, "--output", out, "--batch-size", "1", "--max-new-tokens", "2", "--threads", "1"})
	err := cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "context canceled") || !strings.Contains(err.Error(), "1 of 2 prompts were done before it: their records are in "+out+".partial") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "earlier results\n" {
		t.Errorf("%s = %q, want it untouched", out, b)
	}
	if recs := readJSONL(t, out+".partial"); len(recs) != 1 || string(recs[0][0].value) != `"一丁"` {
		t.Errorf("partial records %v, want the first prompt's", recs)
	}
}

// TestGenerateInputFormats: --input reads any data file gotrl reads, as
// eval does: a JSON array (CSL's layout) and gzipped JSONL pass their
// records through as written, keys in order; a CSV's record is written
// with its columns in name order. Each prompt generates what the JSONL
// file gives for it.
func TestGenerateInputFormats(t *testing.T) {
	model, vocab := fixtureModel(t, "gpt2")
	dir := t.TempDir()
	a, b := cjk(3, 6), cjk(40, 4)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintf(zw, "{\"title\": \"t1\", \"content\": %q, \"n\": 1.50}\n{\"title\": \"t2\", \"content\": %q, \"n\": 2}\n", a, b)
	zw.Close()
	files := map[string]string{
		"test.jsonl":    fmt.Sprintf("{\"title\": \"t1\", \"content\": %q, \"n\": 1.50}\n{\"title\": \"t2\", \"content\": %q, \"n\": 2}\n", a, b),
		"test.json":     fmt.Sprintf("[\n  {\"title\": \"t1\", \"content\": %q, \"n\": 1.50},\n  {\"title\": \"t2\",\n   \"content\": %q, \"n\": 2}\n]\n", a, b),
		"test.jsonl.gz": gz.String(),
		"test.csv":      fmt.Sprintf("\ufefftitle,content,n\r\nt1,%s,1.50\r\nt2,%s,2\r\n", a, b),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string) [][]member {
		t.Helper()
		out := filepath.Join(dir, name+".pred")
		if _, _, err := runCLI(t, "generate", "--model", model, "--tokenizer", vocab, "--max-new-tokens", "4", "--threads", "1",
			"--input", filepath.Join(dir, name), "--field", "prompt=content", "--output", out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return readJSONL(t, out)
	}
	want := run("test.jsonl")
	tests := []struct {
		name string
		keys []string
		n    []string // the raw values of "n"
	}{
		{"test.json", []string{"title", "content", "n", "prediction", "ids"}, []string{"1.50", "2"}},
		{"test.jsonl.gz", []string{"title", "content", "n", "prediction", "ids"}, []string{"1.50", "2"}},
		{"test.csv", []string{"content", "n", "title", "prediction", "ids"}, []string{`"1.50"`, `"2"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(tt.name)
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i, ms := range got {
				var keys []string
				for _, m := range ms {
					keys = append(keys, m.key)
					if m.key == "n" && string(m.value) != tt.n[i] {
						t.Errorf("record %d: n = %s, want %s", i, m.value, tt.n[i])
					}
				}
				if !slices.Equal(keys, tt.keys) {
					t.Errorf("record %d keys %v, want %v", i, keys, tt.keys)
				}
				w := want[i]
				if string(ms[len(ms)-1].value) != string(w[len(w)-1].value) {
					t.Errorf("record %d: ids %s, the JSONL file gives %s", i, ms[len(ms)-1].value, w[len(w)-1].value)
				}
			}
		})
	}
}
