package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCSVLikePandas reads the files of testdata/csv, which
// scripts/fixtures/make_csv_pandas.py wrote together with what
// pandas.read_csv (and datasets' csv loader) reads from them, and checks
// that gotrl reads the same cells, and refuses what pandas refuses.
func TestCSVLikePandas(t *testing.T) {
	b, err := os.ReadFile("testdata/csv/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]struct {
		Columns []string
		Rows    [][]string
		Error   string
	}
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	// where pandas raises, what gotrl says: the file and the line where the
	// quote opened, or the row with too many cells
	refusals := map[string]string{
		"unterminated.csv":      "unterminated.csv:3: the quoted cell opened at line 3, column 3 never closes",
		"unterminated_late.csv": "unterminated_late.csv:5: the quoted cell opened at line 5, column 3 never closes",
		"too_many.csv":          "too_many.csv:3: 3 cells, want 2 (label,review)",
	}
	// the line each record starts on, where quoted line ends or skipped
	// lines come before it
	lines := map[string][]int{
		"multiline.csv":   {2, 6},
		"crlf.csv":        {2, 4, 6},
		"blank_lines.csv": {5, 8},
		"quotes.tsv":      {2, 3, 4, 5},
	}
	for name, want := range expected {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "csv", name)
			var rows [][]string
			var at []int
			_, err := Read(path, Options{}, func(r Record) error {
				keys := make([]string, 0, len(r.Fields))
				for k := range r.Fields {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if cols := slices.Sorted(slices.Values(want.Columns)); want.Error == "" && !slices.Equal(keys, cols) {
					t.Errorf("%v: fields %q, want %q", r.Pos, keys, cols)
				}
				row := make([]string, len(want.Columns))
				for i, c := range want.Columns {
					row[i], _ = r.Fields[c].(string)
				}
				rows = append(rows, row)
				at = append(at, r.Pos.Line)
				return nil
			})
			if want.Error != "" {
				refusal, ok := refusals[name]
				if !ok {
					t.Fatalf("pandas refuses %s (%s); list what gotrl says", name, want.Error)
				}
				if err == nil || !strings.Contains(err.Error(), refusal) {
					t.Fatalf("error %v, want %q (pandas: %s)", err, refusal, want.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(rows, want.Rows, slices.Equal) {
				t.Errorf("rows\n%q\nwant, as pandas reads them,\n%q", rows, want.Rows)
			}
			if l, ok := lines[name]; ok && !slices.Equal(at, l) {
				t.Errorf("records at lines %v, want %v", at, l)
			}
		})
	}
}

// TestCSVSkipBadTooMany checks that a row with too many cells, which
// pandas refuses the file for, stays one bad record that --skip-bad skips.
func TestCSVSkipBadTooMany(t *testing.T) {
	st, err := Read("testdata/csv/too_many.csv", Options{SkipBad: true}, func(Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 2 || st.Skipped != 1 || !strings.HasPrefix(st.Reasons[0], "testdata/csv/too_many.csv:3: 3 cells, want 2") {
		t.Errorf("stats %+v, want 2 records and too_many.csv:3 skipped", st)
	}
}
