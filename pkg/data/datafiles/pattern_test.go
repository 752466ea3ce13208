package datafiles

import (
	"reflect"
	"strings"
	"testing"
)

// TestMatch: the fsspec glob rules both the local and the Hub resolution
// rest on (pkg/data and pkg/hub test them against datasets' own
// resolve_pattern on whole trees).
func TestMatch(t *testing.T) {
	files := []string{
		"README.md", "train.jsonl", "test.jsonl", "a.jsonl", "b.jsonl",
		"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/sub/train-x.parquet",
		".hidden/train.jsonl", "data/.train.jsonl", "__pycache__/train.jsonl", "data/dataset_info.json",
	}
	for _, c := range []struct {
		pattern string
		want    []string
		err     string
	}{
		{pattern: "*.jsonl", want: []string{"train.jsonl", "test.jsonl", "a.jsonl", "b.jsonl"}},
		{pattern: "[!t]*.jsonl", want: []string{"a.jsonl", "b.jsonl"}},
		{pattern: "[ab].jsonl", want: []string{"a.jsonl", "b.jsonl"}},
		{pattern: "?.jsonl", want: []string{"a.jsonl", "b.jsonl"}},
		{pattern: "data/*", want: []string{"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"}},
		{pattern: "data/**", want: []string{"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/sub/train-x.parquet"}},
		{pattern: "**/train*", want: []string{"train.jsonl", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/sub/train-x.parquet"}},
		{pattern: ".hidden/*.jsonl", want: []string{".hidden/train.jsonl"}},
		{pattern: "data/.*.jsonl", want: []string{"data/.train.jsonl"}},
		{pattern: "__pycache__/*", want: []string{"__pycache__/train.jsonl"}},
		{pattern: "data/dataset_info.json", want: []string{"data/dataset_info.json"}},
		{pattern: "README.md", want: []string{"README.md"}},
		{pattern: "/train.jsonl", want: []string{"train.jsonl"}},
		{pattern: "**.jsonl", err: "** must be a whole path segment"},
	} {
		var got []string
		m, err := Compile(c.pattern)
		if err == nil {
			for _, f := range files {
				if m.Match(f) {
					got = append(got, f)
				}
			}
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), c.pattern) {
				t.Errorf("%s: error %v, want %q naming the pattern", c.pattern, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, %v; want %q", c.pattern, got, err, c.want)
		}
	}
}
