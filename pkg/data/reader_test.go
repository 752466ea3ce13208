package data

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeFile writes content to name in a fresh temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// builders run one task builder and return only what the tests look at.
var (
	summarize = func(p string, o Options) (Stats, error) { _, st, err := Summarization(p, o); return st, err }
	faultIE   = func(p string, o Options) (Stats, error) { _, st, err := FaultIE(p, o); return st, err }
	cmrc      = func(p string, o Options) (Stats, error) { _, st, err := CMRCQuestions(p, o); return st, err }
	classify  = func(p string, o Options) (Stats, error) { _, st, err := Classification(p, o); return st, err }
	sft       = func(p string, o Options) (Stats, error) { _, st, err := ReadSFT(p, o); return st, err }
	pref      = func(p string, o Options) (Stats, error) { _, st, err := ReadPreference(p, o); return st, err }
	ranked    = func(p string, o Options) (Stats, error) { _, st, err := ReadRanked(p, o); return st, err }
)

func TestMalformedInputs(t *testing.T) {
	const squadQA = `{"data":[{"id":"A","paragraphs":[{"id":"P","context":"北京","qas":[{"question":"在哪","id":"q0"},{"id":"q1"}]}]}]}`
	tests := []struct {
		name, file, content string
		opt                 Options
		run                 func(string, Options) (Stats, error)
		want                []string // substrings of the error
	}{
		{"truncated JSON array", "x.json", "[\n{\"content\":\"a\",\"title\":\"b\"},\n{\"content\":\"c\",", Options{}, summarize,
			[]string{"x.json:3", "truncated JSON"}},
		{"JSON array syntax error", "x.json", "[\n{\"content\":\"a\",\"title\":\"b\"},\n{\"content\" \"c\"}]", Options{}, summarize,
			[]string{"x.json:3", "invalid character"}},
		{"JSON array element not an object", "x.json", "[\n{\"content\":\"a\",\"title\":\"b\"},\n  3\n]", Options{}, summarize,
			[]string{"x.json:3", "got a JSON number, want an object"}},
		{"JSON not an array", "x.json", `{"content":"a"}`, Options{Format: FormatJSON}, summarize,
			[]string{"x.json:1", "want a JSON array"}},
		{"JSON data after array", "x.json", "[{\"content\":\"a\",\"title\":\"b\"}]\n]", Options{}, summarize,
			[]string{"x.json:2", "after the closing"}},
		{"JSON wrong field type", "x.json", "[\n{\"content\":\"a\",\n \"title\":7}]", Options{}, summarize,
			[]string{"x.json:2", `field "title"`, "got number, want a string"}},
		{"JSON invalid UTF-8", "x.json", "[\n{\"content\":\"\xff\",\"title\":\"b\"}]", Options{}, summarize,
			[]string{"x.json:2", "invalid UTF-8"}},
		{"JSONL line not an object", "x.jsonl", "{\"prompt\":\"a\",\"response\":\"b\"}\n[1,2]\n", Options{}, sft,
			[]string{"x.jsonl:2", "got a JSON array, want an object"}},
		{"JSONL malformed line", "x.jsonl", "{\"prompt\":\"a\",\"response\":\"b\"}\n\n{\"prompt\": \"a\",\n", Options{}, sft,
			[]string{"x.jsonl:3", "malformed JSON"}},
		{"JSONL invalid UTF-8", "x.jsonl", "{\"prompt\":\"a\",\"response\":\"b\"}\n{\"prompt\":\"\xe4\xb8\",\"response\":\"b\"}\n", Options{}, sft,
			[]string{"x.jsonl:2", "invalid UTF-8"}},
		{"JSONL empty file", "x.jsonl", "", Options{}, sft, []string{"x.jsonl", "empty file"}},
		{"JSONL blank lines only", "x.jsonl", "\n  \n", Options{}, sft, []string{"x.jsonl", "empty file"}},
		{"JSON empty file", "x.json", " \n", Options{Format: FormatJSON}, summarize, []string{"x.json", "empty file"}},
		{"CSV empty file", "x.csv", "", Options{}, classify, []string{"x.csv", "empty file, no header"}},
		{"CSV header only", "x.csv", "label,review\n", Options{}, classify, []string{"x.csv", "no records"}},
		{"SQuAD with no articles", "x.json", `{"data":[]}`, Options{}, cmrc, []string{"x.json", "no records"}},
		{"CSV wrong column count", "x.csv", "label,review\n1,好\n1,好,多\n", Options{}, classify,
			[]string{"x.csv:3", "3 cells, want 2"}},
		{"CSV unterminated quote", "x.csv", "label,review\n1,好\n0,\"不好\n1,好\n", Options{}, classify,
			[]string{"x.csv:3", `the quoted cell opened at line 3, column 3 never closes`}},
		{"CSV missing header field", "x.csv", "label,sentence\n1,好\n", Options{}, classify,
			[]string{"x.csv:2", `field "text": missing`}},
		{"CSV repeated header", "x.csv", "label,label\n1,好\n", Options{}, classify,
			[]string{"x.csv:1", `column "label" repeated`}},
		{"CSV label not a number", "x.csv", "label,review\n1,好\nx,好\n", Options{}, classify,
			[]string{"x.csv:3", `field "label"`, `"x" is not an integer`}},
		{"CSV negative label", "x.csv", "label,review\n-1,好\n", Options{}, classify,
			[]string{"x.csv:2", `field "label"`, "negative"}},
		{"CSV empty review", "x.csv", "label,review\n1,\"  \"\n", Options{}, classify,
			[]string{"x.csv:2", `field "review": empty`}},
		{"CSV invalid UTF-8", "x.csv", "label,review\n1,好\n0,\"\xb2\xbb\xba\xc3\"\n", Options{}, classify,
			[]string{"x.csv:3", `field "review"`, "invalid UTF-8"}},
		{"TSV wrong column count", "x.tsv", "label\treview\n1\t好\t多\n", Options{}, classify,
			[]string{"x.tsv:2", "3 cells, want 2"}},
		{"SQuAD without data", "x.json", `{"version":"v1","articles":[]}`, Options{}, cmrc,
			[]string{"x.json", `field "data": missing`}},
		{"SQuAD question missing", "x.json", squadQA, Options{}, cmrc,
			[]string{"x.json:data[0].paragraphs[0].qas[1]", `field "question": missing`}},
		{"SQuAD paragraphs not a list", "x.json", `{"data":[{"paragraphs":{}}]}`, Options{}, cmrc,
			[]string{"x.json:data[0]", `field "paragraphs"`}},
		{"SFT stage given preference file", "x.jsonl", `{"prompt":"a","chosen":"b","rejected":"c"}`, Options{}, sft,
			[]string{"x.jsonl:1", `no sft field set: want {"messages"} or {"prompt", "completion"} or {"prompt", "response"} or {"text"}`,
				`the record has fields "chosen", "prompt", "rejected"`}},
		{"preference stage given SFT file", "x.jsonl", `{"prompt":"a","response":"b"}`, Options{}, pref,
			[]string{"x.jsonl:1", `no preference field set: want {"prompt", "chosen", "rejected"} or {"chosen", "rejected"}`,
				`the record has fields "prompt", "response"`}},
		{"ranked responses not a list", "x.jsonl", `{"prompt":"a","responses":"b"}`, Options{}, ranked,
			[]string{"x.jsonl:1", `field "responses"`, "got string"}},
		{"ranked response not a string", "x.jsonl", `{"prompt":"a","responses":["b",2]}`, Options{}, ranked,
			[]string{"x.jsonl:1", `field "responses[1]"`, "got number"}},
		{"ranked single response", "x.jsonl", `{"prompt":"a","responses":["b"]}`, Options{}, ranked,
			[]string{"x.jsonl:1", "1 responses, want at least 2"}},
		{"IE offset off by one", "x.jsonl", `{"ID":"A1","text":"发动机熄火","spo_list":[{"h":{"name":"发动机","pos":[0,3]},"t":{"name":"熄火","pos":[2,4]},"relation":"部件故障"}]}`, Options{}, faultIE,
			[]string{"x.jsonl:1", `field "spo_list[0].t.pos"`, `selects "机熄", want name "熄火"`}},
		{"IE offset out of text", "x.jsonl", `{"ID":"A1","text":"熄火","spo_list":[{"h":{"name":"火","pos":[1,9]},"t":{"name":"熄火","pos":[0,2]},"relation":"r"}]}`, Options{}, faultIE,
			[]string{"x.jsonl:1", `field "spo_list[0].h.pos"`, "out of the text"}},
		{"IE triple missing relation", "x.jsonl", `{"ID":"A1","text":"熄火","spo_list":[{"h":{"name":"火","pos":[1,2]},"t":{"name":"熄","pos":[0,1]}}]}`, Options{}, faultIE,
			[]string{"x.jsonl:1", `field "spo_list[0].relation": missing`}},
		{"mapped field missing", "x.jsonl", `{"content":"a","title":"b"}`, Options{Fields: FieldMap{"content": "text"}}, summarize,
			[]string{"x.jsonl:1", `field "content" (file field "text"): missing`}},
		{"unknown extension", "x.txt", "a", Options{}, sft, []string{"x.txt", "cannot tell the format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.run(writeFile(t, tt.file, tt.content), tt.opt)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\n lacks %q", err, w)
				}
			}
		})
	}
}

func TestSkipBad(t *testing.T) {
	tests := []struct {
		name, file, content string
		run                 func(string, Options) (Stats, error)
		records, skipped    int
		reasons             []string // one substring per kept reason, in order
		fatal               string   // non-empty: the error even with SkipBad
	}{
		{
			name: "jsonl", file: "x.jsonl",
			content: "{\"prompt\":\"a\",\"response\":\"b\"}\n" +
				"{\"prompt\":\"a\"\n" + // 2 malformed
				"[1]\n" + // 3 not an object
				"{\"prompt\":\"\xff\",\"response\":\"b\"}\n" + // 4 invalid UTF-8
				"{\"prompt\":\"a\",\"response\":\"b\"}\n" +
				"{\"prompt\":\"a\"}\n" + // 6 missing field
				"{\"prompt\":\"a\",\"response\":3}\n" + // 7 wrong type
				"{\"prompt\":\"a\",\"response\":\" \"}\n" + // 8 empty
				"{\"prompt\":\"c\",\"response\":\"d\"}\n",
			run: sft, records: 3, skipped: 6,
			reasons: []string{"x.jsonl:2", "x.jsonl:3", "x.jsonl:4", "x.jsonl:6", "x.jsonl:7"},
		},
		{
			name: "csv", file: "x.csv",
			content: "label,review\n1,好\n1,好,多\nx,好\n0,\"差\n劲\"\n0,\n",
			run:     classify, records: 2, skipped: 3,
			reasons: []string{"x.csv:3: 3 cells", `x.csv:4: field "label"`, `x.csv:7: field "review": empty`},
		},
		{
			name: "all bad", file: "x.jsonl", content: "[1]\n[2]\n",
			run: sft, skipped: 2, reasons: []string{"x.jsonl:1", "x.jsonl:2"},
			fatal: "all 2 records are bad; first: ",
		},
		{
			name: "unterminated quote still stops", file: "x.csv", content: "label,review\n1,好\n0,\"不好\n",
			run: classify, records: 1, fatal: "never closes",
		},
		{
			name: "truncated JSON array still stops", file: "x.json", content: `[{"content":"a","title":"b"},{"content":`,
			run: summarize, records: 1, fatal: "truncated JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := tt.run(writeFile(t, tt.file, tt.content), Options{SkipBad: true})
			switch {
			case tt.fatal == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.fatal != "" && (err == nil || !strings.Contains(err.Error(), tt.fatal)):
				t.Fatalf("error %v, want %q", err, tt.fatal)
			}
			if st.Records != tt.records || st.Skipped != tt.skipped {
				t.Errorf("records %d skipped %d, want %d and %d (%s)", st.Records, st.Skipped, tt.records, tt.skipped, st)
			}
			if len(st.Reasons) != len(tt.reasons) {
				t.Fatalf("reasons %q, want %d", st.Reasons, len(tt.reasons))
			}
			for i, w := range tt.reasons {
				if !strings.Contains(st.Reasons[i], w) {
					t.Errorf("reason %d = %q, want %q", i, st.Reasons[i], w)
				}
			}
		})
	}
}

func TestReadFormats(t *testing.T) {
	type row struct {
		line   int
		prompt string
	}
	tests := []struct {
		name, file, content string
		opt                 Options
		want                []row
	}{
		{"json array lines", "x.json", "[\n  {\"prompt\": \"a\"},\n\n  {\n   \"prompt\": \"b\"}\n]\n", Options{}, []row{{2, "a"}, {4, "b"}}},
		{"jsonl with BOM and blank line", "x.jsonl", "\uFEFF{\"prompt\":\"a\"}\n\n{\"prompt\":\"b\"}", Options{}, []row{{1, "a"}, {3, "b"}}},
		{"csv quotes", "x.csv", "prompt,other\n\"a, \"\"quoted\"\"\",1\n\"multi\nline\",2\nc,3\n", Options{},
			[]row{{2, `a, "quoted"`}, {3, "multi\nline"}, {5, "c"}}},
		{"tsv", "x.tsv", "prompt\tother\na b\t1\n", Options{}, []row{{2, "a b"}}},
		{"override format", "x.txt", "{\"prompt\":\"a\"}\n", Options{Format: FormatJSONL}, []row{{1, "a"}}},
		{"mapping", "x.jsonl", `{"q":"a"}`, Options{Fields: FieldMap{"prompt": "q"}}, []row{{1, "a"}}},
		{"nested mapping", "x.jsonl", `{"doc":{"q":"a"}}`, Options{Fields: FieldMap{"prompt": "doc.q"}}, []row{{1, "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []row
			_, err := Read(writeFile(t, tt.file, tt.content), tt.opt, func(r Record) error {
				p, err := r.String("prompt")
				got = append(got, row{r.Pos.Line, p})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseFieldMap(t *testing.T) {
	m, err := ParseFieldMap([]string{"content=text", " title = doc.name "})
	if err != nil {
		t.Fatal(err)
	}
	if want := (FieldMap{"content": "text", "title": "doc.name"}); !reflect.DeepEqual(m, want) {
		t.Errorf("got %v, want %v", m, want)
	}
	for _, bad := range [][]string{{"content"}, {"=text"}, {"content="}, {"a=b", "a=c"}} {
		if _, err := ParseFieldMap(bad); err == nil {
			t.Errorf("ParseFieldMap(%q) accepted", bad)
		}
	}
}
