package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLines writes lines as a file in a temp dir and returns its path.
func writeLines(t *testing.T, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readRecords reads a JSONL file.
func readRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	return out
}

func TestDataSplit(t *testing.T) {
	var lines []string
	for i := range 20 {
		lines = append(lines, fmt.Sprintf(`{"id": %d, "g": "doc%d", "text": "第%d句"}`, i, i/2, i))
	}
	in := writeLines(t, "in.jsonl", lines...)
	split := func(args ...string) (train, test []map[string]any) {
		t.Helper()
		out := t.TempDir()
		if _, _, err := runGotrl(append([]string{"data", "split", in, out}, args...)...); err != nil {
			t.Fatal(err)
		}
		return readRecords(t, filepath.Join(out, "train.jsonl")), readRecords(t, filepath.Join(out, "test.jsonl"))
	}
	ids := func(rs []map[string]any) string {
		var s []string
		for _, r := range rs {
			s = append(s, fmt.Sprint(r["id"]))
		}
		return strings.Join(s, ",")
	}
	train, test := split("--test-size", "4", "--group-by", "g")
	if len(train) != 16 || len(test) != 4 {
		t.Fatalf("split 20 records with --test-size 4: %d train, %d test", len(train), len(test))
	}
	groups := map[any]bool{}
	for _, r := range test {
		groups[r["g"]] = true
	}
	for _, r := range train {
		if groups[r["g"]] {
			t.Errorf("group %v on both sides", r["g"])
		}
	}
	if len(groups) != 2 {
		t.Errorf("test side holds %d groups, want 2 whole ones", len(groups))
	}
	if _, again := split("--test-size", "4", "--group-by", "g"); ids(again) != ids(test) {
		t.Errorf("the same seed split differently: %s vs %s", ids(again), ids(test))
	}
	if _, other := split("--test-size", "4", "--group-by", "g", "--split-seed", "3"); ids(other) == ids(test) {
		t.Errorf("--split-seed 3 gave seed 1's test side %s", ids(test))
	}
	if train[0]["text"] != "第0句" && test[0]["text"] != "第0句" {
		t.Errorf("records changed: %v", train[0])
	}

	_, _, err := runGotrl("data", "split", in, t.TempDir(), "--group-by", "nope")
	if err == nil || !strings.Contains(err.Error(), `in.jsonl:1: field "nope": missing`) {
		t.Errorf("--group-by of a missing field: %v", err)
	}
}

func TestDataText(t *testing.T) {
	in := writeLines(t, "in.jsonl",
		`{"a": "甲乙丙丁", "b": "戊己"}`,
		`{"a": "甲乙丙丁"}`,
		`{"b": "庚\n辛"}`)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--text-fields", "a", "--text-fields", "b"}, "甲乙丙丁\n戊己\n庚 辛\n"},
		{[]string{"--text-fields", "b"}, "戊己\n庚 辛\n"},
		{[]string{"--text-fields", "a", "--max-chars", "2"}, "甲乙\n"},
		{[]string{"--text-fields", "b", "--jsonl"}, `{"text":"戊己"}` + "\n" + `{"text":"庚 辛"}` + "\n"},
	}
	for _, tt := range tests {
		out, _, err := runGotrl(append([]string{"data", "text", in}, tt.args...)...)
		if err != nil || out != tt.want {
			t.Errorf("data text %v = %q, %v; want %q", tt.args, out, err, tt.want)
		}
	}
	if _, _, err := runGotrl("data", "text", in, "--text-fields", "c"); err == nil || !strings.Contains(err.Error(), "no record has any of the fields c") {
		t.Errorf("no such field: %v", err)
	}
}

func TestDataTriples(t *testing.T) {
	in := writeLines(t, "ie.jsonl",
		`{"ID": "A1", "text": "刹车失灵，发动机抖动", "spo_list": [{"h": {"name": "刹车", "pos": [0, 2]}, "t": {"name": "失灵", "pos": [2, 4]}, "relation": "部件故障"}, {"h": {"name": "发动机", "pos": [5, 8]}, "t": {"name": "抖动", "pos": [8, 10]}, "relation": "部件故障"}]}`,
		`{"ID": "A2", "text": "一切正常", "spo_list": []}`)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	if _, _, err := runGotrl("data", "triples", in, out, "--separator", "；", "--skip-empty"); err != nil {
		t.Fatal(err)
	}
	rs := readRecords(t, out)
	if len(rs) != 1 || rs[0]["response"] != "刹车_部件故障_失灵；发动机_部件故障_抖动" || rs[0]["prompt"] != "刹车失灵，发动机抖动" {
		t.Errorf("data triples --separator ；--skip-empty: %v", rs)
	}
	if _, _, err := runGotrl("data", "triples", in, out); err != nil {
		t.Fatal(err)
	}
	if rs := readRecords(t, out); len(rs) != 2 || rs[0]["response"] != "刹车_部件故障_失灵\n发动机_部件故障_抖动" || rs[1]["response"] != "" {
		t.Errorf("data triples: %v", rs)
	}

	bad := writeLines(t, "bad.jsonl", `{"ID": "B", "text": "刹车失灵", "spo_list": [{"h": {"name": "刹车", "pos": [1, 3]}, "t": {"name": "失灵", "pos": [2, 4]}, "relation": "部件故障"}]}`)
	if _, _, err := runGotrl("data", "triples", bad, out); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
		t.Errorf("a pos that does not select the name: %v", err)
	}
}

// TestEvalBaselines: --lead and --lexicon score their baselines with the
// same metrics as a model's predictions.
func TestEvalBaselines(t *testing.T) {
	sum := writeLines(t, "sum.jsonl", `{"content": "中国人民银行", "title": "中国人民"}`)
	tests := []struct {
		lead, want string
	}{
		{"4", "100.00"},
		{"2", "66.67"}, // "中国" against "中国人民": P 1, R 1/2
		{"6", "80.00"}, // P 4/6, R 1
	}
	for _, tt := range tests {
		out, _, err := runGotrl("eval", "summary", "--input", sum, "--fields", "source=content", "--fields", "reference=title", "--lead", tt.lead)
		if err != nil || !strings.Contains(out, "\nrouge-l ") || strings.Fields(out[strings.Index(out, "\nrouge-l "):])[1] != tt.want {
			t.Errorf("--lead %s: %v\n%s\nwant rouge-l %s", tt.lead, err, out, tt.want)
		}
	}

	train := writeLines(t, "train.jsonl", `{"prompt": "x", "response": "刹车_部件故障_失灵；发动机_部件故障_抖动"}`)
	test := writeLines(t, "test.jsonl",
		`{"prompt": "刹车失灵了", "response": "刹车_部件故障_失灵"}`,
		`{"prompt": "发动机正常", "response": "发动机_部件故障_异响"}`)
	out, _, err := runGotrl("eval", "triples", "--input", test, "--fields", "source=prompt", "--fields", "reference=response",
		"--lexicon", train, "--separator", "；", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// the lexicon finds 刹车…失灵 in the first text only: 1 of 1 predicted, 1 of 2 gold
	if m["correct"] != 1 || m["predicted"] != 1 || m["gold"] != 2 {
		t.Errorf("lexicon baseline: %s", out)
	}
}

// TestRMScoreInput: scoring a file gives the rewards of scoring the same
// texts as arguments, and the classifier's argmax label.
func TestRMScoreInput(t *testing.T) {
	model := ppoFixture(t)[4] // a two-label GPT-2 classifier with its vocab.txt
	in := writeLines(t, "in.jsonl", `{"review": "中国", "label": 1}`, `{"review": "的", "label": 0}`)
	out := filepath.Join(t.TempDir(), "scored.jsonl")
	base := []string{"rm", "score", "--model-name-or-path", model, "--reward-label", "1", "--threads", "1"}
	if _, _, err := runGotrl(append(base, "--input", in, "--fields", "response=review", "--output-file", out)...); err != nil {
		t.Fatal(err)
	}
	printed, _, err := runGotrl(append(base, "中国", "的")...)
	if err != nil {
		t.Fatal(err)
	}
	rs := readRecords(t, out)
	for i, line := range strings.Split(strings.TrimSpace(printed), "\n") {
		want, _, _ := strings.Cut(line, "\t")
		if got := fmt.Sprintf("%.4f", rs[i]["reward"]); got != want {
			t.Errorf("record %d: reward %s from --input, %s as an argument", i, got, want)
		}
		if l, ok := rs[i]["predicted_label"].(float64); !ok || (l != 0 && l != 1) {
			t.Errorf("record %d: predicted_label %v", i, rs[i]["predicted_label"])
		}
		if rs[i]["review"] == nil || rs[i]["label"] == nil {
			t.Errorf("record %d lost its fields: %v", i, rs[i])
		}
	}
	if _, _, err := runGotrl(append(base, "--input", in)...); err == nil || !strings.Contains(err.Error(), `field "response": missing`) {
		t.Errorf("a file without responses: %v", err)
	}
}

// TestCellText: data head shows a field as the data file spells it
// (nested values as JSON, null as null), whole numbers whole.
func TestCellText(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{"多行 <b>", "多行 <b>"},
		{float64(1234567), "1234567"},
		{0.123456, "0.1235"},
		{-3.0, "-3"},
		{nil, "null"},
		{true, "true"},
		{map[string]any{"role": "user", "content": "<Hi>"}, `{"content":"<Hi>","role":"user"}`},
		{[]any{"a", 1.5}, `["a",1.5]`},
	} {
		if got := cellText(c.v); got != c.want {
			t.Errorf("cellText(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}
