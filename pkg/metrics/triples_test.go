package metrics

import (
	"math"
	"slices"
	"testing"

	"github.com/gotrl/gotrl/pkg/data"
)

func TestParseTriples(t *testing.T) {
	tests := []struct {
		name, text string
		want       []Triple
		malformed  []string
	}{
		{"empty", "", nil, nil},
		{"one", "发动机_部件故障_水温高", []Triple{{"发动机", "部件故障", "水温高"}}, nil},
		{"blank lines and CRLF", "\n风扇_部件故障_低速转动\r\n\n", []Triple{{"风扇", "部件故障", "低速转动"}}, nil},
		{"spaces around parts (BERT decodes)", "abs _部件故障_ 失效", []Triple{{"abs", "部件故障", "失效"}}, nil},
		{"duplicates once", "a_r_b\na_r_b\n a_r_b ", []Triple{{"a", "r", "b"}}, nil},
		{"relation keeps inner underscores", "a_x_y_b", []Triple{{"a", "x_y", "b"}}, nil},
		{"malformed", "a_b\nab\n_r_b\na__b\na_r_\na_b", nil, []string{"a_b", "ab", "_r_b", "a__b", "a_r_"}},
		{"mixed", "a_r_b\n坏行\nc_r_d", []Triple{{"a", "r", "b"}, {"c", "r", "d"}}, []string{"坏行"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad := ParseTriples(tt.text)
			if !slices.Equal(got, tt.want) || !slices.Equal(bad, tt.malformed) {
				t.Errorf("ParseTriples(%q) = %q, %q; want %q, %q", tt.text, got, bad, tt.want, tt.malformed)
			}
		})
	}
}

// TestParseFormatTriples: ParseTriples reads what data.FormatTriples writes.
func TestParseFormatTriples(t *testing.T) {
	in := []data.Triple{{Head: "转向泵", Relation: "部件故障", Tail: "效率降低"}, {Head: "压力", Relation: "性能故障", Tail: "不正常输出"}}
	got, bad := ParseTriples(data.FormatTriples(in))
	want := []Triple{{"转向泵", "部件故障", "效率降低"}, {"压力", "性能故障", "不正常输出"}}
	if !slices.Equal(got, want) || bad != nil {
		t.Errorf("round trip = %q, %q; want %q", got, bad, want)
	}
}

func TestScoreTriples(t *testing.T) {
	tests := []struct {
		name, pred, ref string
		want            TripleCounts
		p, r, f1        float64
	}{
		{"exact", "a_r_b\nc_r_d", "c_r_d\na_r_b", TripleCounts{Correct: 2, Predicted: 2, Gold: 2}, 1, 1, 1},
		{"one wrong relation", "a_r_b\nc_s_d", "a_r_b\nc_r_d", TripleCounts{Correct: 1, Predicted: 2, Gold: 2}, 0.5, 0.5, 0.5},
		{"duplicate prediction counted once", "a_r_b\na_r_b", "a_r_b\nc_r_d", TripleCounts{Correct: 1, Predicted: 1, Gold: 2}, 1, 0.5, 2.0 / 3},
		{"malformed line is a wrong triple", "a_r_b\ngarbage", "a_r_b", TripleCounts{Correct: 1, Predicted: 2, Gold: 1, Malformed: 1}, 0.5, 1, 2.0 / 3},
		{"empty prediction", "", "a_r_b", TripleCounts{Gold: 1}, 0, 0, 0},
		{"empty reference", "a_r_b", "", TripleCounts{Predicted: 1}, 0, 0, 0},
		{"both empty", "", "", TripleCounts{}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := ScoreTriples(tt.pred, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if c != tt.want {
				t.Errorf("counts %+v, want %+v", c, tt.want)
			}
			if math.Abs(c.Precision()-tt.p) > 1e-12 || math.Abs(c.Recall()-tt.r) > 1e-12 || math.Abs(c.F1()-tt.f1) > 1e-12 {
				t.Errorf("P/R/F1 %v/%v/%v, want %v/%v/%v", c.Precision(), c.Recall(), c.F1(), tt.p, tt.r, tt.f1)
			}
		})
	}
	if _, _, err := ScoreTriples("a_r_b", "a_r_b\nnot a triple"); err == nil || err.Error() != `reference line "not a triple" is not head_relation_tail` {
		t.Errorf("malformed reference: err = %v", err)
	}
}

// TestTriplesMicro: micro averaging sums counts before dividing, so a
// large example weighs more than in a mean of per-example F1.
func TestTriplesMicro(t *testing.T) {
	var total TripleCounts
	for _, ex := range [][2]string{
		{"a_r_b", "a_r_b"},                          // 1 of 1
		{"a_r_b\nc_r_d\ne_r_f", "a_r_x\nc_r_d"},     // 1 of 3 predicted, 2 gold
		{"", "g_r_h"},                               // 0 of 0, 1 gold
		{"??\ni_r_j", "i_r_j\nk_r_l\nm_r_n\no_r_p"}, // 1 of 2 (one malformed), 4 gold
	} {
		c, _, err := ScoreTriples(ex[0], ex[1])
		if err != nil {
			t.Fatal(err)
		}
		total.Add(c)
	}
	want := TripleCounts{Correct: 3, Predicted: 6, Gold: 8, Malformed: 1}
	if total != want {
		t.Fatalf("total %+v, want %+v", total, want)
	}
	if math.Abs(total.Precision()-0.5) > 1e-12 || math.Abs(total.Recall()-3.0/8) > 1e-12 || math.Abs(total.F1()-6.0/14) > 1e-12 {
		t.Errorf("micro P/R/F1 = %v/%v/%v, want 0.5/0.375/0.428571", total.Precision(), total.Recall(), total.F1())
	}
}
