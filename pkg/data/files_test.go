package data

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gzipped returns content compressed.
func gzipped(t *testing.T, content string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(content))
	zw.Close()
	return b.String()
}

func TestDetectFormatThroughGzip(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    Format
	}{
		{"a.jsonl.gz", "", FormatJSONL},
		{"a.JSONL.GZ", "", FormatJSONL},
		{"a.csv.gz", "", FormatCSV},
		{"a.tsv.gz", "", FormatTSV},
		{"a.json.gz", "[{}]", FormatJSON},
		{"a.json.gz", "\n {\"data\":[]}", FormatSQuAD},
		{"a.parquet", "", FormatParquet},
	}
	for _, tt := range tests {
		p := writeFile(t, tt.name, gzipped(t, tt.content))
		if got, err := DetectFormat(p); err != nil || got != tt.want {
			t.Errorf("DetectFormat(%s) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := DetectFormat(writeFile(t, "a.gz", "")); err == nil {
		t.Error("a bare .gz: no error")
	}
}

func TestReadGzip(t *testing.T) {
	const lines = "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"c\",\"completion\":\"d\"}\n"
	xs, st, err := ReadSFT(writeFile(t, "x.jsonl.gz", gzipped(t, lines)), Options{})
	if err != nil || len(xs) != 2 || xs[1] != (Example{Prompt: "c", Response: "d"}) {
		t.Fatalf("%+v, %s, %v", xs, st, err)
	}
	// Line numbers count decompressed lines.
	_, _, err = ReadSFT(writeFile(t, "x.jsonl.gz", gzipped(t, lines+"{\"prompt\":\"e\"}\n")), Options{})
	if err == nil || !strings.Contains(err.Error(), "x.jsonl.gz:3") {
		t.Errorf("error %v, want x.jsonl.gz:3", err)
	}
	// Corrupt and truncated streams name the file.
	z := gzipped(t, strings.Repeat(lines, 200))
	bad := []struct{ name, content, want string }{
		{"not gzip", "{\"prompt\":\"a\"}", "x.jsonl.gz: corrupt gzip stream: gzip: invalid header"},
		{"truncated", z[:len(z)/2], "corrupt gzip stream: unexpected EOF"},
		{"bad checksum", z[:len(z)-8] + "\x00\x00\x00\x00" + z[len(z)-4:], "gzip: invalid checksum"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadSFT(writeFile(t, "x.jsonl.gz", tt.content), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReadParquetErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "formats", "sft_mixed.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content []byte
		read    func(string, Options) (Stats, error)
		want    string
	}{
		{"truncated", good[:len(good)/2], sft, "x.parquet"},
		{"not parquet", []byte("prompt,completion\na,b\n"), sft, "x.parquet"},
		{"empty", nil, sft, "x.parquet"},
		{"gzipped", good, sft, "x.parquet.gz: a Parquet file compresses its own pages"},
		// sft_mixed.parquet has no "responses" column: a ranked read fails on row 1.
		{"wrong stage", good, ranked, `x.parquet:row 1: field "responses": missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "x.parquet"
			if tt.name == "gzipped" {
				name += ".gz"
			}
			p := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(p, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := tt.read(p, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// A number where a string belongs names the row and the column.
	_, _, err = ReadSFT(filepath.Join("testdata", "formats", "sft_messages.parquet"), Options{Fields: FieldMap{"messages": "id"}})
	if err == nil || !strings.Contains(err.Error(), `sft_messages.parquet:row 1: field "messages" (file field "id"): got number`) {
		t.Errorf("error %v", err)
	}
}

func TestReadFiles(t *testing.T) {
	a := writeFile(t, "a.jsonl", "{\"prompt\":\"a\",\"completion\":\"1\"}\n{\"prompt\":\"b\",\"completion\":\"2\"}\n")
	b := writeFile(t, "b.jsonl.gz", gzipped(t, "{\"text\":\"c\"}\n{\"oops\":1}\n"))
	xs, st, err := ReadFiles([]string{a, b}, Options{SkipBad: true}, ReadSFT)
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{{Prompt: "a", Response: "1"}, {Prompt: "b", Response: "2"}, {Response: "c"}}
	if len(xs) != 3 || xs[0] != want[0] || xs[1] != want[1] || xs[2] != want[2] {
		t.Errorf("got %+v, want %+v", xs, want)
	}
	if st.Records != 3 || st.Skipped != 1 || !strings.Contains(st.Reasons[0], "b.jsonl.gz:2") {
		t.Errorf("stats %s", st)
	}
	// Without skipping, the error names the second file and its line.
	if _, _, err := ReadFiles([]string{a, b}, Options{}, ReadSFT); err == nil || !strings.Contains(err.Error(), "b.jsonl.gz:2") {
		t.Errorf("error %v, want b.jsonl.gz:2", err)
	}
	if _, _, err := ReadFiles(nil, Options{}, ReadSFT); err == nil {
		t.Error("no files: no error")
	}
}
