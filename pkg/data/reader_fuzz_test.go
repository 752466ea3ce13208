package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzFormats are the text formats FuzzRead feeds its input to, by the
// input's first byte.
var fuzzFormats = []Format{FormatJSON, FormatJSONL, FormatCSV, FormatTSV, FormatSQuAD}

// fuzzBuilders are the task and stage readers run over the file after the
// plain read, by the input's second byte.
var fuzzBuilders = []func(string, Options) (Stats, error){
	summarize, faultIE, cmrc, classify, sft, pref, ranked,
	func(p string, o Options) (Stats, error) { _, st, err := ReadPrompts(p, o); return st, err },
}

// FuzzRead checks the JSON, JSONL, CSV, TSV and SQuAD readers and the
// task readers on top of them on arbitrary file content: no panic; every
// error names the file; every record is located inside the file (a line
// it has, or a JSON path for SQuAD); Stats counts what the consumer
// accepted (and at least the records it refused as skipped); and with SkipBad the read fails only on framing
// errors, never on a bad record.
func FuzzRead(f *testing.F) {
	for _, s := range readSeeds(f) {
		for i := range fuzzFormats {
			f.Add(uint8(i), uint8(i), s)
		}
	}
	path := filepath.Join(f.TempDir(), "in.data") // one file per worker: inputs run one at a time
	f.Fuzz(func(t *testing.T, format, builder uint8, content []byte) {
		fm := fuzzFormats[int(format)%len(fuzzFormats)]
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(content, []byte{'\n'}) + 1
		for _, skip := range []bool{false, true} {
			got, accepted, skipped := 0, 0, 0
			st, err := Read(path, Options{Format: fm, SkipBad: skip}, func(r Record) error {
				got++
				if r.Pos.File != path {
					t.Fatalf("%s: record at %v, want file %s", fm, r.Pos, path)
				}
				if fm == FormatSQuAD && !strings.HasPrefix(r.Pos.Path, "data[") ||
					fm != FormatSQuAD && (r.Pos.Line < 1 || r.Pos.Line > lines) {
					t.Fatalf("%s: record at %v, file has %d lines", fm, r.Pos, lines)
				}
				// the accessors a task builder uses: errors, never panics
				_, err := r.String("text")
				if _, e := r.Int("label"); err == nil {
					err = e
				}
				if _, e := r.Strings("answers.text"); err == nil {
					err = e
				}
				if err != nil {
					var re *RecordError
					if !errors.As(err, &re) {
						t.Fatalf("%s: accessor error %T %v, want a *RecordError", fm, err, err)
					}
					skipped++
					return err
				}
				accepted++
				return nil
			})
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Fatalf("%s: error %q does not name the file", fm, err)
			}
			if st.Records != accepted || (skip && st.Skipped < skipped) {
				t.Fatalf("%s: stats %+v, consumer accepted %d and refused %d of %d", fm, st, accepted, skipped, got)
			}
			var re *RecordError
			if skip && errors.As(err, &re) {
				t.Fatalf("%s: SkipBad read stopped on a record error: %v", fm, err)
			}
		}
		build := fuzzBuilders[int(builder)%len(fuzzBuilders)]
		if _, err := build(path, Options{Format: fm}); err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: task reader error %q does not name the file", fm, err)
		}
	})
}

// readSeeds returns the committed format samples, decompressed, and small
// hand-written files of every layout, good and bad.
func readSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		[]byte(`[{"content":"a","title":"b"},{"text":"好","label":1}]`),
		[]byte("[\n{\"content\":\"a\",\"title\":\"b\"},\n{\"content\":\"c\","),
		[]byte("[{\"text\":\"x\",\"label\":1}]\n]"),
		[]byte("{\"text\":\"a\",\"label\":0}\n\n{\"text\":\"b\",\"label\":1.5}\nnot json\n[1]\n"),
		[]byte("\xEF\xBB\xBF{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\"}\n"),
		[]byte("label,review\n1,好\n0,\"差,\"\"很\"\"\"\n1\n"),
		[]byte("label,review\n1,\"unterminated\n"),
		[]byte("label\treview\n1\t好\n"),
		[]byte("a,a\n1,2\n"),
		[]byte(`{"data":[{"id":"A","title":"t","paragraphs":[{"id":"P","context":"北京","qas":[{"question":"在哪","id":"q0","answers":[{"text":"北京","answer_start":0}]},3]}]},{"paragraphs":1}]}`),
		[]byte(`{"ID":1,"text":"发动机故障","spo_list":[{"h":{"name":"发动机","pos":[0,3]},"t":{"name":"故障","pos":[3,5]},"relation":"部件故障"}]}`),
		[]byte("\xff\xfe"), []byte(""), []byte("\n"),
	}
	files, err := filepath.Glob("testdata/formats/*")
	if err != nil {
		f.Fatal(err)
	}
	csvFiles, err := filepath.Glob("testdata/csv/*.?sv") // the quoting cases pandas reads
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, csvFiles...)
	for _, name := range files {
		if strings.HasSuffix(name, ".parquet") {
			continue // binary; FuzzRead covers the text formats
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				f.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				f.Fatal(err)
			}
		}
		seeds = append(seeds, b)
	}
	return seeds
}
