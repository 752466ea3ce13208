package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// hfDir holds the datasets fixtures (scripts/fixtures/make_dataformats.py).
var hfDir = filepath.Join("testdata", "hf")

// hfExpected is testdata/hf/expected.json.
type hfExpected struct {
	Shards map[string][2]int `json:"shards"`
	Glob   struct {
		Tree     []string                   `json:"tree"`
		Patterns map[string]json.RawMessage `json:"patterns"`
	} `json:"glob"`
}

func loadHFExpected(t *testing.T) hfExpected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hfDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e hfExpected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// readRows returns the fields of every record Read gives for path.
func readRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	if _, err := Read(path, Options{}, func(r Record) error {
		out = append(out, r.Fields)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameRows(t *testing.T, got, want []map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("row %d:\n got %#v\nwant %#v", i+1, got[i], want[i])
		}
	}
}

// TestReadArrow reads save_to_disk directories, their shards, a DatasetDict
// split and an IPC file-format file, each against the rows datasets gives
// back for them (Dataset.to_list written as JSONL).
func TestReadArrow(t *testing.T) {
	want := readRows(t, filepath.Join(hfDir, "rows.jsonl"))
	exp := loadHFExpected(t)
	if len(exp.Shards) == 0 {
		t.Fatal("expected.json lists no Arrow inputs")
	}
	for name, span := range exp.Shards {
		t.Run(name, func(t *testing.T) {
			sameRows(t, readRows(t, filepath.Join(hfDir, filepath.FromSlash(name))), want[span[0]:span[1]])
		})
	}
	t.Run("set_format columns", func(t *testing.T) {
		sameRows(t, readRows(t, filepath.Join(hfDir, "columns")), readRows(t, filepath.Join(hfDir, "columns.jsonl")))
	})
}

// TestReadArrowTasks reads a conversation column through ReadSFT, as the
// same rows from JSONL.
func TestReadArrowTasks(t *testing.T) {
	opt := Options{SkipBad: true} // rows 3 and 4 hold no conversation
	fromJSONL, _, err := ReadSFT(filepath.Join(hfDir, "columns.jsonl"), opt)
	if err != nil {
		t.Fatal(err)
	}
	fromArrow, st, err := ReadSFT(filepath.Join(hfDir, "columns"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 3 || !reflect.DeepEqual(fromArrow, fromJSONL) {
		t.Errorf("%s: got %+v, want %+v", st, fromArrow, fromJSONL)
	}
}

// TestArrowPositions checks that a record names its shard and row.
func TestArrowPositions(t *testing.T) {
	var pos []string
	if _, err := Read(filepath.Join(hfDir, "disk"), Options{}, func(r Record) error {
		pos = append(pos, filepath.ToSlash(r.Pos.String()))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "testdata/hf/disk/data-00001-of-00002.arrow:row 1"
	if len(pos) != 5 || pos[3] != want {
		t.Errorf("positions %q, want the fourth %q", pos, want)
	}
}

func TestReadArrowErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(hfDir, "disk", "data-00000-of-00002.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	dir := func(files map[string]string) string {
		d := t.TempDir()
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(d, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	state := func(extra string) string {
		return `{"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_format_columns": null` + extra + `}`
	}
	for _, tc := range []struct {
		name string
		path string
		want []string // all in the error
	}{
		{"dataset dict", filepath.Join(hfDir, "dict"), []string{"DatasetDict", "splits train, test", filepath.Join(hfDir, "dict", "train")}},
		{"timestamp column", filepath.Join(hfDir, "timestamp.arrow"), []string{"timestamp.arrow", `column "when"`, "timestamp"}},
		{"truncated", writeFile(t, "cut.arrow", string(good[:len(good)/2])), []string{"cut.arrow"}},
		{"truncated header", writeFile(t, "head.arrow", string(good[:40])), []string{"head.arrow"}},
		{"not arrow", writeFile(t, "text.arrow", "{\"a\": 1}\n"), []string{"text.arrow", "not an Arrow IPC stream"}},
		{"file magic only", writeFile(t, "magic.arrow", "ARROW1\x00\x00garbage"), []string{"magic.arrow"}},
		{"compressed", writeFile(t, "x.arrow.gz", gzipped(t, string(good))), []string{"x.arrow.gz", "decompress"}},
		{"plain directory", dir(map[string]string{"a.jsonl": "{}\n"}), []string{"not one Dataset.save_to_disk wrote"}},
		{"missing shard", dir(map[string]string{"state.json": state("")}), []string{"data-00000-of-00001.arrow"}},
		{"bad state", dir(map[string]string{"state.json": "{"}), []string{"state.json"}},
		{"no shards", dir(map[string]string{"state.json": `{"_data_files": []}`}), []string{"state.json", "no files"}},
		{"escaping shard", dir(map[string]string{"state.json": `{"_data_files": [{"filename": "../x.arrow"}]}`}), []string{"state.json", "../x.arrow"}},
		{"indices", dir(map[string]string{"state.json": state(`, "_indices_data_files": [{"filename": "indices.arrow"}]`), "data-00000-of-00001.arrow": string(good)}),
			[]string{"state.json", "_indices_data_files", "flatten_indices"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path, Options{}, func(Record) error { return nil })
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	// An empty indices mapping is what datasets 2.x and 3.x never write but
	// older ones wrote as null: the data reads.
	d := dir(map[string]string{"state.json": state(`, "_indices_data_files": null`), "data-00000-of-00001.arrow": string(good)})
	if rows := readRows(t, d); len(rows) != 3 {
		t.Errorf("%d rows, want 3", len(rows))
	}
}

func TestDetectFormatArrow(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Format
	}{
		{filepath.Join(hfDir, "file.arrow"), FormatArrow},
		{filepath.Join(hfDir, "disk"), FormatArrow},
		{"a.jsonl.bz2", FormatJSONL},
		{"a.csv.xz", FormatCSV},
		{"a.tsv.zst", FormatTSV},
		{"a.PARQUET", FormatParquet},
	} {
		if got, err := DetectFormat(tc.path); err != nil || got != tc.want {
			t.Errorf("DetectFormat(%s) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
	if f, err := ParseFormat("arrow"); err != nil || f != FormatArrow {
		t.Errorf("ParseFormat(arrow) = %q, %v", f, err)
	}
}
