package run

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/prompt"
)

func TestGridReport(t *testing.T) {
	r := fixture(t, "bert")
	tok := newCharTok()
	var ts []*prompt.Template
	for i, src := range []string{"{mask}满意。{text_a|trunc}", "{text_a|trunc}，{mask}好。"} {
		tpl, err := prompt.Parse([]string{"a", "b"}[i], src, prompt.Cloze)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tpl)
	}
	v, err := prompt.NewVerbalizer(sentiment.labels, sentiment.words, "", "")
	if err != nil {
		t.Fatal(err)
	}
	g := Grid{
		Templates: ts, Verbalizers: []NamedVerbalizer{{Name: "v", Verbalizer: v}},
		Shots: []int{0, 1}, Pool: petSet[:4], Seed: 1, MaxLen: 60, Strict: true, Ensemble: prompt.MeanProb,
	}
	cells, err := g.Run(context.Background(), r, tok, petSet)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 5 { // 2 templates × 2 shots + 1 ensemble
		t.Fatalf("%d cells, want 5", len(cells))
	}
	for _, c := range cells {
		if c.Confusion.Total() != len(petSet) {
			t.Errorf("%s/%d: %d examples counted, want %d", c.Template, c.Shots, c.Confusion.Total(), len(petSet))
		}
		correct := 0
		for i, p := range c.Preds {
			if v.Labels[p.Label] == petSet[i].Label {
				correct++
			}
		}
		if want := float64(correct) / float64(len(petSet)); c.Accuracy != want {
			t.Errorf("%s/%d: accuracy %v, recount %v", c.Template, c.Shots, c.Accuracy, want)
		}
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, cells); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || len(rows[0]) != 10 || rows[5][0] != "ensemble:mean_prob" {
		t.Errorf("csv: %d rows of %d columns, last template %q", len(rows), len(rows[0]), rows[len(rows)-1][0])
	}
	buf.Reset()
	if err := WriteTable(&buf, cells); err != nil || strings.Count(buf.String(), "\n") != 6 {
		t.Errorf("table (%v):\n%s", err, buf.String())
	}
	png := filepath.Join(t.TempDir(), "grid.png")
	if err := BarChart(png, "grid", cells); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("chart: %v, %d bytes", err, len(b))
	}
}

func TestGridDemonstrationsTooLong(t *testing.T) {
	r := fixture(t, "bert")
	tpl, _ := prompt.Parse("a", "{mask}满意。{text_a|trunc}", prompt.Cloze)
	v, _ := prompt.NewVerbalizer(sentiment.labels, sentiment.words, "", "")
	g := Grid{Templates: []*prompt.Template{tpl}, Verbalizers: []NamedVerbalizer{{Name: "v", Verbalizer: v}},
		Shots: []int{3}, Pool: petSet, MaxLen: 20, Strict: true}
	_, err := g.Run(context.Background(), r, newCharTok(), petSet)
	if err == nil || !strings.Contains(err.Error(), "3 shots") {
		t.Errorf("error %v, want one naming the 3 demonstrations that do not fit", err)
	}
}
