package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sharedData returns a file of the shared data sets (../shared beside the
// checkout), skipping the test when it is absent, as on a fresh clone.
func sharedData(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data missing: %v", err)
	}
	return p
}

// The counts are those of /work/shared/README.md, which were taken
// independently of this package.
func TestRealDataCounts(t *testing.T) {
	t.Run("csl", func(t *testing.T) {
		exs, st, err := Summarization(sharedData(t, "csl-summarization/csl.json"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(exs) != 1576 || st.Skipped != 0 {
			t.Errorf("%d pairs (%s), want 1576", len(exs), st)
		}
	})
	t.Run("fault-ie", func(t *testing.T) {
		// FaultIE checks text[pos[0]:pos[1]] == name in runes for every
		// entity and fails the record otherwise, so no skip means all agree.
		exs, st, err := FaultIE(sharedData(t, "fault-ie/ori_data.jsonl"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		triples := 0
		for _, e := range exs {
			if e.Response != "" {
				triples += strings.Count(e.Response, "\n") + 1
			}
		}
		// 5434 triples were counted with Python's json module, separately.
		if len(exs) != 1199 || triples != 5434 || st.Skipped != 0 {
			t.Errorf("%d docs with %d triples (%s), want 1199 with 5434", len(exs), triples, st)
		}
	})
	t.Run("cmrc", func(t *testing.T) {
		exs, _, err := CMRCQuestions(sharedData(t, "cmrc2018/cmrc_dev.json"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, groups := groupIndex(exs)
		if len(exs) != 2569 || len(groups) != 677 {
			t.Errorf("%d questions in %d articles, want 2569 in 677", len(exs), len(groups))
		}
	})
	t.Run("chnsenticorp", func(t *testing.T) {
		exs, st, err := Classification(sharedData(t, "chnsenticorp/ChnSentiCorp_htl_all.csv"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		count := map[int]int{}
		for _, e := range exs {
			count[e.Label]++
		}
		// 4257 positive and 1977 negative were counted with Python's csv module.
		if want := map[int]int{0: 1977, 1: 4257}; len(exs) != 6234 || !reflect.DeepEqual(count, want) || st.Skipped != 0 {
			t.Errorf("%d reviews, labels %v (%s), want 6234 as %v", len(exs), count, st, want)
		}
	})
}

// TestFaultIEAnswerFormat checks the generated targets against the book's
// own sample answers, matched by text.
func TestFaultIEAnswerFormat(t *testing.T) {
	exs, _, err := FaultIE(sharedData(t, "fault-ie/ori_data.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	byText := map[string]string{}
	for _, e := range exs {
		byText[e.Prompt] = e.Response
	}
	samples, _ := os.ReadFile(sharedData(t, "fault-ie/answer_format_sample.jsonl"))
	n := 0
	for line := range strings.Lines(string(samples)) {
		var s struct{ Text, Answer string }
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		got, ok := byText[s.Text]
		if !ok {
			t.Errorf("sample text not in ori_data: %.20s…", s.Text)
			continue
		}
		if got != s.Answer {
			t.Errorf("answer for %.20s…:\n got %q\nwant %q", s.Text, got, s.Answer)
		}
		n++
	}
	if n != 3 {
		t.Errorf("checked %d samples, want 3", n)
	}
}
