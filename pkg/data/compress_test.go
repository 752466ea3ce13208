package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadCompressed reads rows.jsonl as Python's bz2 and lzma and
// pyarrow's zstd stream wrote it, against the plain file.
func TestReadCompressed(t *testing.T) {
	plain := filepath.Join(hfDir, "rows.jsonl")
	want := readRows(t, plain)
	text, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		plain + ".bz2",
		plain + ".xz",
		plain + ".zst",
		writeFile(t, "rows.jsonl.gz", gzipped(t, string(text))),
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			sameRows(t, readRows(t, path), want)
		})
	}
}

// TestReadCompressedCorrupt checks that a truncated or garbled stream is
// an error naming the file and the compression, never a panic.
func TestReadCompressedCorrupt(t *testing.T) {
	for _, c := range []struct{ ext, name string }{{".bz2", "bzip2"}, {".xz", "xz"}, {".zst", "zstd"}, {".gz", "gzip"}} {
		var good []byte
		if c.ext == ".gz" {
			good = []byte(gzipped(t, strings.Repeat(`{"text":"a"}`+"\n", 50)))
		} else {
			var err error
			if good, err = os.ReadFile(filepath.Join(hfDir, "rows.jsonl"+c.ext)); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []struct {
			name    string
			content []byte
		}{
			{"truncated", good[:len(good)*2/3]},
			{"garbage", []byte("this is not compressed at all\n")},
		} {
			t.Run(c.name+" "+bad.name, func(t *testing.T) {
				path := writeFile(t, "rows.jsonl"+c.ext, string(bad.content))
				_, err := Read(path, Options{}, func(Record) error { return nil })
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range []string{path, "corrupt " + c.name + " stream"} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %q", err, w)
					}
				}
			})
		}
	}
}
