package metrics

import (
	"math"
	"testing"
)

// The three-class example used throughout, counted by hand:
//
//	gold\pred  pos  neg  neu
//	pos          2    1    0
//	neg          1    1    0
//	neu          1    1    1
var (
	labels3 = []string{"pos", "neg", "neu"}
	gold3   = []string{"pos", "pos", "pos", "neg", "neg", "neu", "neu", "neu"}
	pred3   = []string{"pos", "pos", "neg", "neg", "pos", "neu", "pos", "neg"}
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestAccuracy(t *testing.T) {
	tests := []struct {
		name       string
		gold, pred []string
		want       float64
		err        string
	}{
		{"three classes", gold3, pred3, 4.0 / 8, ""},
		{"all right", []string{"a", "b"}, []string{"a", "b"}, 1, ""},
		{"length mismatch", []string{"a"}, []string{"a", "b"}, 0, "metrics: 1 gold labels, 2 predictions"},
		{"empty", nil, nil, 0, "metrics: no examples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Accuracy(tt.gold, tt.pred)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !near(got, tt.want) {
				t.Errorf("Accuracy = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if got, _ := Accuracy([]int{1, 0, 1}, []int{1, 1, 1}); !near(got, 2.0/3) {
		t.Errorf("Accuracy on ints = %v, want 2/3", got)
	}
}

func TestPerClass(t *testing.T) {
	tests := []struct {
		name               string
		labels, gold, pred []string
		want               []ClassScore
		macro              float64
	}{
		{
			name: "three classes", labels: labels3, gold: gold3, pred: pred3,
			want: []ClassScore{
				{"pos", 2.0 / 4, 2.0 / 3, 4.0 / 7, 3}, // tp 2, fp 2, fn 1
				{"neg", 1.0 / 3, 1.0 / 2, 2.0 / 5, 2}, // tp 1, fp 2, fn 1
				{"neu", 1, 1.0 / 3, 2.0 / 4, 3},       // tp 1, fp 0, fn 2
			},
			macro: (4.0/7 + 2.0/5 + 2.0/4) / 3,
		},
		{
			// b is never predicted and c never occurs: their 0/0 ratios are
			// 0, and c still counts in the macro average.
			name: "zero division", labels: []string{"a", "b", "c"},
			gold: []string{"a", "a", "b"}, pred: []string{"a", "a", "a"},
			want: []ClassScore{
				{"a", 2.0 / 3, 1, 4.0 / 5, 2},
				{"b", 0, 0, 0, 1},
				{"c", 0, 0, 0, 0},
			},
			macro: 0.8 / 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewConfusion(tt.labels, tt.gold, tt.pred)
			if err != nil {
				t.Fatal(err)
			}
			got := c.PerClass()
			for i, w := range tt.want {
				g := got[i]
				if g.Label != w.Label || g.Support != w.Support || !near(g.Precision, w.Precision) || !near(g.Recall, w.Recall) || !near(g.F1, w.F1) {
					t.Errorf("class %d = %+v, want %+v", i, g, w)
				}
			}
			if m := c.MacroF1(); !near(m, tt.macro) {
				t.Errorf("MacroF1 = %v, want %v", m, tt.macro)
			}
			if m, err := MacroF1(tt.labels, tt.gold, tt.pred); err != nil || !near(m, tt.macro) {
				t.Errorf("MacroF1 func = %v, %v; want %v", m, err, tt.macro)
			}
		})
	}
}

func TestConfusion(t *testing.T) {
	c, err := NewConfusion(labels3, gold3, pred3)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{2, 1, 0}, {1, 1, 0}, {1, 1, 1}}
	for i := range want {
		for j := range want[i] {
			if c.Counts[i][j] != want[i][j] {
				t.Errorf("Counts[%d][%d] = %d, want %d", i, j, c.Counts[i][j], want[i][j])
			}
		}
	}
	if c.Total() != 8 || !near(c.Accuracy(), 0.5) {
		t.Errorf("Total %d, Accuracy %v; want 8, 0.5", c.Total(), c.Accuracy())
	}
	wantText := "" +
		"gold\\pred  pos  neg  neu\n" +
		"pos          2    1    0\n" +
		"neg          1    1    0\n" +
		"neu          1    1    1\n"
	if got := c.String(); got != wantText {
		t.Errorf("String =\n%s\nwant\n%s", got, wantText)
	}
}

func TestConfusionChinese(t *testing.T) {
	c, err := NewConfusion([]string{"正面", "负面"}, []string{"正面", "负面", "负面"}, []string{"正面", "正面", "负面"})
	if err != nil {
		t.Fatal(err)
	}
	// 正面 is four terminal columns wide, like "1234".
	want := "" +
		"gold\\pred  正面  负面\n" +
		"正面          1     0\n" +
		"负面          1     1\n"
	if got := c.String(); got != want {
		t.Errorf("String =\n%s\nwant\n%s", got, want)
	}
}

func TestConfusionErrors(t *testing.T) {
	tests := []struct {
		name               string
		labels, gold, pred []string
		want               string
	}{
		{"no labels", nil, nil, nil, "metrics: no labels"},
		{"duplicate", []string{"a", "a"}, nil, nil, `metrics: duplicate label "a"`},
		{"unknown gold", []string{"a"}, []string{"b"}, []string{"a"}, `example 0: metrics: unknown gold label "b" (labels [a])`},
		{"unknown pred", []string{"a"}, []string{"a", "a"}, []string{"a", "z"}, `example 1: metrics: unknown predicted label "z" (labels [a])`},
		{"lengths", []string{"a"}, []string{"a"}, nil, "metrics: 1 gold labels, 0 predictions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewConfusion(tt.labels, tt.gold, tt.pred); err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReport(t *testing.T) {
	c, _ := NewConfusion([]string{"a", "b"}, []string{"a", "a", "b", "b"}, []string{"a", "b", "b", "b"})
	// a: P 1, R 0.5, F1 2/3; b: P 2/3, R 1, F1 0.8; macro F1 = 0.7333.
	want := "" +
		"           precision  recall      f1  support\n" +
		"a             1.0000  0.5000  0.6667        2\n" +
		"b             0.6667  1.0000  0.8000        2\n" +
		"accuracy                      0.7500        4\n" +
		"macro avg     0.8333  0.7500  0.7333        4\n"
	if got := c.Report(); got != want {
		t.Errorf("Report =\n%s\nwant\n%s", got, want)
	}
}
