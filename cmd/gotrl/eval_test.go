package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the CLI in-process and returns stdout, stderr and the error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

// writeFiles writes name → content into a temporary directory.
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

// TestEvalScores checks each subcommand's JSON against numbers worked out
// by hand (pkg/metrics' fixtures check the metrics in depth).
func TestEvalScores(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		// 7 of 7 tokens right, then an empty prediction against 4 tokens:
		// ROUGE 100 and 0 (mean 50); every n-gram precision 100, BP
		// exp(1 − 11/7), so BLEU = 100·exp(−4/7).
		"sum.jsonl": `{"id": 7, "title": "基于图神经网络", "completion": "基于图神经网络"}` + "\n" +
			`{"id": 8, "title": "深度学习", "completion": ""}` + "\n",
		// 1 right of 3 predicted (one line malformed), 2 gold.
		"ie.jsonl": `{"answer": "发动机_部件故障_水温高\n风扇_部件故障_低速转动", "prediction": "发动机_部件故障_水温高\n风扇 _部件故障_ 高速\n乱码"}` + "\n" +
			`{"answer": "", "prediction": ""}` + "\n",
		// gold 1 0 1 1, predicted 1 1 0 1: accuracy 2/4; label 0: P 0 R 0,
		// label 1: P 2/3 R 2/3 → macro-F1 (0 + 2/3)/2.
		"cls.jsonl": `{"label": 1, "prediction": "1"}` + "\n" + `{"label": 0, "prediction": 1}` + "\n" +
			`{"label": 1, "prediction": 0}` + "\n" + `{"label": 1, "prediction": 1}` + "\n",
		// the same records as users have them in other files: a JSON
		// array (CSL's own layout), a CSV saved by Excel (BOM, CRLF), and
		// JSONL under a name that says nothing
		"sum.json": "[\n  {\"title\": \"基于图神经网络\", \"completion\": \"基于图神经网络\"},\n  {\"title\": \"深度学习\", \"completion\": \"\"}\n]\n",
		"cls.csv":  "\ufefflabel,prediction\r\n1,1\r\n0,1\r\n1,0\r\n1,1\r\n",
		"sum.out":  `{"title": "基于图神经网络", "completion": "基于图神经网络"}` + "\n" + `{"title": "深度学习", "completion": ""}` + "\n",
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name string
		args []string
		want map[string]float64
	}{
		{"summary", []string{"eval", "summary", "--input", p("sum.jsonl"), "--field", "reference=title", "--field", "prediction=completion"},
			map[string]float64{"examples": 2, "rouge-1": 50, "rouge-2": 50, "rouge-l": 50, "bleu-4": 100 * math.Exp(-4.0/7)}},
		{"triples", []string{"eval", "triples", "--input", p("ie.jsonl"), "--field", "reference=answer"},
			map[string]float64{"examples": 2, "precision": 100.0 / 3, "recall": 50, "f1": 40, "correct": 1, "predicted": 3, "gold": 2, "malformed": 1}},
		{"classify", []string{"eval", "classify", "--input", p("cls.jsonl"), "--field", "reference=label"},
			map[string]float64{"examples": 4, "accuracy": 50, "macro-f1": 100.0 / 3}},
		{"classify --labels", []string{"eval", "classify", "--input", p("cls.jsonl"), "--field", "reference=label", "--labels", "1,0"},
			map[string]float64{"examples": 4, "accuracy": 50, "macro-f1": 100.0 / 3}},
		{"summary from a JSON array", []string{"eval", "summary", "--input", p("sum.json"), "--field", "reference=title", "--field", "prediction=completion"},
			map[string]float64{"examples": 2, "rouge-1": 50, "bleu-4": 100 * math.Exp(-4.0/7)}},
		{"summary from a .out JSONL", []string{"eval", "summary", "--input", p("sum.out"), "--field", "reference=title", "--field", "prediction=completion"},
			map[string]float64{"examples": 2, "rouge-1": 50}},
		{"classify from a CSV", []string{"eval", "classify", "--input", p("cls.csv"), "--field", "reference=label"},
			map[string]float64{"examples": 4, "accuracy": 50, "macro-f1": 100.0 / 3}},
		{"classify with CSV references", []string{"eval", "classify", "--input", p("cls.jsonl"), "--references", p("cls.csv"), "--field", "reference=label"},
			map[string]float64{"examples": 4, "accuracy": 50, "macro-f1": 100.0 / 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runCLI(t, append(tt.args, "--json")...)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v in %q", err, out)
			}
			for k, want := range tt.want {
				if v, ok := got[k].(float64); !ok || math.Abs(v-want) > 1e-9 {
					t.Errorf("%s = %v, want %v", k, got[k], want)
				}
			}
			table, _, err := runCLI(t, tt.args...)
			if err != nil || !strings.Contains(table, "examples") {
				t.Errorf("table output %q, %v", table, err)
			}
		})
	}
}

func TestEvalOutput(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"cls.jsonl": `{"label": "正面", "prediction": "正面"}` + "\n" + `{"label": "负面", "prediction": "正面"}` + "\n",
	})
	out := filepath.Join(dir, "per.jsonl")
	table, _, err := runCLI(t, "eval", "classify", "--input", filepath.Join(dir, "cls.jsonl"), "--field", "reference=label", "--output", out, "--labels", "正面,负面")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"accuracy  50.00", "gold\\pred  正面  负面", "负面          1     0"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"correct":true,"line":1,"prediction":"正面","reference":"正面"}` + "\n" +
		`{"correct":false,"line":2,"prediction":"正面","reference":"负面"}` + "\n"
	if string(b) != want {
		t.Errorf("--output =\n%s\nwant\n%s", b, want)
	}
}

// TestEvalBadInput: every bad input stops with the file, line and field.
func TestEvalBadInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ok.jsonl":       `{"prediction": "基于图", "reference": "基于图"}` + "\n" + `{"prediction": "", "reference": "图"}` + "\n",
		"noref.jsonl":    `{"prediction": "a", "reference": "a"}` + "\n" + `{"prediction": "b", "title": "b"}` + "\n",
		"number.jsonl":   `{"prediction": 3, "reference": "a"}` + "\n",
		"emptyref.jsonl": `{"prediction": "a", "reference": "。"}` + "\n",
		"badjson.jsonl":  `{"prediction": "a", "reference": "a"}` + "\n" + `{"prediction": "a",` + "\n",
		"empty.jsonl":    "",
		"ie.jsonl":       `{"prediction": "a_r_b", "reference": "a_r_b\nnot a triple"}` + "\n",
		"cls.jsonl":      `{"prediction": "pos", "reference": "pos"}` + "\n" + `{"prediction": "neutral", "reference": "neg"}` + "\n",
		"float.jsonl":    `{"prediction": 1.5, "reference": 1}` + "\n",
		"bool.jsonl":     `{"prediction": true, "reference": 1}` + "\n",
		"null.jsonl":     `{"prediction": "1", "reference": null}` + "\n",
		"refs1.jsonl":    `{"reference": "图"}` + "\n",
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing field", []string{"summary", "--input", p("noref.jsonl")}, `noref.jsonl:2: field "reference": missing (the record has prediction, title: read one with --field reference=NAME)`},
		{"mapped field missing", []string{"summary", "--input", p("ok.jsonl"), "--field", "reference=title"}, `ok.jsonl:1: field "reference" (file field "title"): missing`},
		{"non-string prediction", []string{"summary", "--input", p("number.jsonl")}, `number.jsonl:1: field "prediction": got number, want a string`},
		{"reference without tokens", []string{"summary", "--input", p("emptyref.jsonl")}, `emptyref.jsonl:1: field "reference": no tokens to score against ("。" is empty or punctuation only)`},
		{"malformed JSON", []string{"triples", "--input", p("badjson.jsonl")}, `badjson.jsonl:2: malformed JSON`},
		{"empty file", []string{"summary", "--input", p("empty.jsonl")}, `empty.jsonl: no records`},
		{"no such file", []string{"summary", "--input", p("nope.jsonl")}, `nope.jsonl: no such file`},
		{"malformed reference triple", []string{"triples", "--input", p("ie.jsonl")}, `ie.jsonl:1: field "reference": reference line "not a triple" is not head_relation_tail`},
		{"label outside --labels", []string{"classify", "--input", p("cls.jsonl"), "--labels", "pos,neg"}, `cls.jsonl:2: field "prediction": label "neutral" is not one of --labels pos,neg`},
		{"fractional label", []string{"classify", "--input", p("float.jsonl")}, `float.jsonl:1: field "prediction": got number 1.5, want a label: a string or an integer`},
		{"boolean label", []string{"classify", "--input", p("bool.jsonl")}, `bool.jsonl:1: field "prediction": got boolean true, want a label: a string or an integer`},
		{"null label", []string{"classify", "--input", p("null.jsonl")}, `null.jsonl:1: field "reference": got null, want a label: a string or an integer`},
		{"duplicate --labels", []string{"classify", "--input", p("cls.jsonl"), "--labels", "pos,pos"}, `--labels: metrics: duplicate label "pos"`},
		{"mismatched lengths", []string{"summary", "--input", p("ok.jsonl"), "--references", p("refs1.jsonl")}, `ok.jsonl has 2 records but ` + p("refs1.jsonl") + ` has 1`},
		{"bad --field", []string{"summary", "--input", p("ok.jsonl"), "--field", "reference"}, `--field: field mapping "reference": want name=file_field`},
		{"no --input", []string{"summary"}, `required flag(s) "input" not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, append([]string{"eval"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// The same files are fine where the rule allows them: an empty
	// prediction scores 0, and --references pairs records by position.
	for _, args := range [][]string{
		{"summary", "--input", p("ok.jsonl")},
		{"summary", "--input", p("number.jsonl"), "--field", "prediction=reference", "--references", p("refs1.jsonl")},
	} {
		if _, _, err := runCLI(t, append([]string{"eval"}, args...)...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}
