package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// formatCase is one entry of testdata/formats/expected.json (written by
// scripts/fixtures/make_formats.py from TRL 0.11.4 and HF datasets).
type formatCase struct {
	File     string            // defaults to the entry's key
	Reader   string            // sft, preference or prompts
	Template string            // testdata/chat/<name>; "" for the built-in ChatML
	Records  []json.RawMessage // Examples or Pairs, as JSON
}

func TestFormatFixtures(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "formats", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]formatCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("%d cases, want 10", len(cases))
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			file := c.File
			if file == "" {
				file = name
			}
			var opt Options
			if c.Template != "" {
				if opt.Chat, err = LoadChatTemplate(filepath.Join("testdata", "chat", c.Template)); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join("testdata", "formats", file)
			var got, want any
			var n int
			switch c.Reader {
			case "sft":
				xs, _, err := ReadSFT(path, opt)
				got, want, n = xs, decodeAll[Example](t, c.Records), len(xs)
				checkErr(t, err)
			case "preference":
				xs, _, err := ReadPreference(path, opt)
				got, want, n = xs, decodeAll[Pair](t, c.Records), len(xs)
				checkErr(t, err)
			case "prompts":
				xs, _, err := ReadPrompts(path, opt)
				got, want, n = xs, decodeAll[Example](t, c.Records), len(xs)
				checkErr(t, err)
			default:
				t.Fatalf("reader %q", c.Reader)
			}
			if n != len(c.Records) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", path, got, want)
			}
		})
	}
}

func decodeAll[T any](t *testing.T, raw []json.RawMessage) []T {
	t.Helper()
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The same rows read from .jsonl.gz and .parquet give the same examples: a
// Parquet row reads as its JSON line, and null cells as absent fields.
func TestParquetReadsAsJSONL(t *testing.T) {
	fromJSONL, _, err := ReadSFT(filepath.Join("testdata", "formats", "sft.jsonl.gz"), Options{})
	checkErr(t, err)
	fromParquet, st, err := ReadSFT(filepath.Join("testdata", "formats", "sft_messages.parquet"), Options{})
	checkErr(t, err)
	if st.Records != 2 || !reflect.DeepEqual(fromParquet, fromJSONL[:2]) {
		t.Errorf("parquet %+v (%s)\nwant %+v", fromParquet, st, fromJSONL[:2])
	}
	// The other columns keep their types: int64 id, list<string> tags, double score.
	var rows []map[string]any
	_, err = Read(filepath.Join("testdata", "formats", "sft_messages.parquet"), Options{}, func(r Record) error {
		rows = append(rows, r.Fields)
		return nil
	})
	checkErr(t, err)
	want := map[string]any{"id": 1.0, "tags": []any{"a", "b"}, "score": 0.5, "group": nil}
	for k, v := range want {
		if !reflect.DeepEqual(rows[1][k], v) {
			t.Errorf("row 2 %s = %#v, want %#v", k, rows[1][k], v)
		}
	}
	if m, ok := rows[1]["messages"].([]any); !ok || len(m) != 2 || m[1].(map[string]any)["role"] != "assistant" {
		t.Errorf("row 2 messages = %#v", rows[1]["messages"])
	}
}

func TestSFTRecordErrors(t *testing.T) {
	tests := []struct {
		name, content string
		fields        []string
		want          []string
	}{
		{"no field set", `{"question":"a","answer":"b"}`, nil,
			[]string{"x.jsonl:1", `no sft field set`, `{"prompt", "completion"}`, `the record has fields "answer", "question"`, "--field"}},
		{"null fields are absent", `{"prompt":null,"completion":null}`, nil,
			[]string{"x.jsonl:1", "no sft field set", "the record has no fields"}},
		{"messages not a list", `{"messages":"hi"}`, nil,
			[]string{"x.jsonl:1", `field "messages": got string, want a list`}},
		{"empty messages", `{"messages":[]}`, nil, []string{`field "messages": no messages`}},
		{"message not an object", `{"messages":["hi"]}`, nil, []string{`field "messages[0]": got string, want an object`}},
		{"message without content", `{"messages":[{"role":"user"}]}`, nil, []string{`field "messages[0].content": missing`}},
		{"role not a string", `{"messages":[{"role":1,"content":"a"}]}`, nil, []string{`field "messages[0].role": got number`}},
		{"last turn not the assistant's", `{"messages":[{"role":"assistant","content":"a"},{"role":"user","content":"b"}]}`, nil,
			[]string{`field "messages": the last message has role "user", want "assistant"`}},
		{"prompt turns, completion string", `{"prompt":[{"role":"user","content":"a"}],"completion":"b"}`, nil,
			[]string{`field "completion": got string, want a list`}},
		{"blank completion", `{"prompt":"a","completion":"  "}`, nil, []string{`field "completion": empty`}},
		{"blank text", `{"text":""}`, nil, []string{`field "text": empty`}},
		{"renamed field named as in the file", `{"q":"a","a":7}`, []string{"prompt=q", "completion=a"},
			[]string{"x.jsonl:1", `field "completion" (file field "a"): got number`}},
		{"renamed messages", `{"conv":[{"role":"user"}]}`, []string{"messages=conv"},
			[]string{`field "conv[0].content": missing`}},
		{"template raises", `{"messages":[{"role":"system","content":"s"},{"role":"assistant","content":"a"}]}`, []string{"chat=gemma"},
			[]string{"x.jsonl:1", `field "messages"`, "System role not supported"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := Options{}
			var renames []string
			for _, f := range tt.fields {
				if tmpl, ok := strings.CutPrefix(f, "chat="); ok {
					c, err := LoadChatTemplate(filepath.Join("testdata", "chat", tmpl))
					checkErr(t, err)
					opt.Chat = c
					continue
				}
				renames = append(renames, f)
			}
			var err error
			if opt.Fields, err = ParseFieldMap(renames); err != nil {
				t.Fatal(err)
			}
			_, _, err = ReadSFT(writeFile(t, "x.jsonl", tt.content+"\n"), opt)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPreferenceRecordErrors(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"chosen turns, rejected string", `{"chosen":[{"role":"user","content":"a"}],"rejected":"b"}`,
			`field "rejected": chosen and rejected must both be strings or both lists of messages`},
		{"prompt turns, answers strings", `{"prompt":[{"role":"user","content":"a"}],"chosen":"b","rejected":"c"}`,
			`field "prompt": got array, want a string`},
		{"blank explicit prompt", `{"prompt":" ","chosen":"b","rejected":"c"}`, `field "prompt": empty`},
		{"only chosen", `{"chosen":"b"}`, `no preference field set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadPreference(writeFile(t, "x.jsonl", tt.content+"\n"), Options{})
			if err == nil || !strings.Contains(err.Error(), "x.jsonl:1") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want x.jsonl:1 and %q", err, tt.want)
			}
		})
	}
}

// TRL's extract_prompt, by hand; the fixture covers the same rules through
// TRL itself for turns.
func TestSharedPrefix(t *testing.T) {
	text := []struct{ chosen, rejected, prompt string }{
		{"Q: a A: yes", "Q: a A: no", "Q: a A:"}, // the space goes to the answers
		{"abc", "abd", "ab"},
		{"abc", "abcd", "ab"}, // a prefix: TRL's loop ends one short
		{"abc", "abc", "ab"},  // identical
		{" x", "y", ""},       // differ at once: no wrap-around to the last character
		{"", "abc", ""},       // nothing shared
		{"基于图", "基于目", "基于"},  // 图 and 目 share their first UTF-8 byte
	}
	for _, tt := range text {
		if k := sharedText(tt.chosen, tt.rejected); tt.chosen[:k] != tt.prompt {
			t.Errorf("sharedText(%q, %q) = %q, want %q", tt.chosen, tt.rejected, tt.chosen[:k], tt.prompt)
		}
	}
	u, a, b := Message{"user", "q"}, Message{"assistant", "a"}, Message{"assistant", "b"}
	turns := []struct {
		chosen, rejected []Message
		want             int
	}{
		{[]Message{u, a}, []Message{u, b}, 1},
		{[]Message{u, a}, []Message{u, a}, 1},                   // identical: all but the last
		{[]Message{u}, []Message{u, a}, 0},                      // a prefix: one short
		{[]Message{u, a}, []Message{{"system", "q"}, a}, 0},     // same content, other role: differs
		{[]Message{u, a, u, a}, []Message{u, a, u, b}, 3},       // multi-turn
		{[]Message{a}, []Message{b}, 0},                         // nothing shared
		{[]Message{u, a, u, a}, []Message{u, b, u, a}, 1},       // first difference wins
		{[]Message{u, a, u}, []Message{u, a, u, b, u, a}, 2},    // a prefix, longer
		{[]Message{{"user", "x"}}, []Message{{"user", "y"}}, 0}, // single turns
	}
	for _, tt := range turns {
		if got := sharedTurns(tt.chosen, tt.rejected); got != tt.want {
			t.Errorf("sharedTurns(%v, %v) = %d, want %d", tt.chosen, tt.rejected, got, tt.want)
		}
	}
}

// Every example line the help prints parses with its stage's reader.
func TestFormatsExamplesParse(t *testing.T) {
	readers := map[Stage]func(string, Options) (int, error){
		StageSFT:        func(p string, o Options) (int, error) { xs, _, err := ReadSFT(p, o); return len(xs), err },
		StagePreference: func(p string, o Options) (int, error) { xs, _, err := ReadPreference(p, o); return len(xs), err },
		StageRanked:     func(p string, o Options) (int, error) { xs, _, err := ReadRanked(p, o); return len(xs), err },
		StagePrompts:    func(p string, o Options) (int, error) { xs, _, err := ReadPrompts(p, o); return len(xs), err },
	}
	help := Formats()
	for _, s := range schemas {
		if !strings.Contains(help, s.Example) || !strings.Contains(help, strings.Join(s.Fields, ", ")) {
			t.Errorf("Formats() lacks %s %v", s.Stage, s.Fields)
		}
		n, err := readers[s.Stage](writeFile(t, "x.jsonl", s.Example+"\n"), Options{})
		if err != nil || n != 1 {
			t.Errorf("%s example %s: %d records, %v", s.Stage, s.Example, n, err)
		}
	}
	if got := Formats(StageSFT); strings.Contains(got, "preference records") || !strings.Contains(got, "sft records") {
		t.Errorf("Formats(sft) = %q", got)
	}
}
