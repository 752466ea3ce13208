package prompt

import (
	"context"
	"math"
	"reflect"
	"testing"
)

func TestCompose(t *testing.T) {
	tok := newFakeTok("张三 北京 。是 人 地 生 属 的")
	a, _ := Parse("a", "{subj}是{mask}，", Cloze)
	b, _ := Parse("b", "{subj}{mask}{obj}。", Cloze)
	c, err := Compose("ab", "", a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "{subj}是{mask}，{subj}{mask}{obj}。"; got != want {
		t.Errorf("composed %q, want %q", got, want)
	}
	r, err := c.Render(map[string]string{"subj": "张三", "obj": "北京"}, tok, 0)
	if err != nil {
		t.Fatal(err)
	}
	// [CLS] 张 三 是 [MASK] ， 张 三 [MASK] 北 京 。 [SEP]
	if want := [][]int{{4}, {8}}; !reflect.DeepEqual(r.Masks, want) {
		t.Errorf("Masks = %v, want %v", r.Masks, want)
	}

	typ, _ := NewVerbalizer([]string{"人", "地"}, [][]string{{"人"}, {"地"}}, "", "")
	rel, _ := NewVerbalizer([]string{"生于", "属于"}, [][]string{{"生"}, {"属"}}, "", "")
	comp, err := NewComposition(c, []*Verbalizer{typ, rel}, []string{"出生地", "隶属"}, [][]string{{"人", "生于"}, {"地", "属于"}}, tok, 0)
	if err != nil {
		t.Fatal(err)
	}
	slotP := [][]float64{{0.8, 0.2}, {0.3, 0.7}}
	s := ScorerFunc(func(_ context.Context, _ *Rendered, slot int, words WordIDs) (TokenScores, error) {
		return TokenScores{{{math.Log(slotP[slot][0])}}, {{math.Log(slotP[slot][1])}}}, nil
	})
	got, err := comp.Classify(context.Background(), s, map[string]string{"subj": "张三", "obj": "北京"})
	if err != nil {
		t.Fatal(err)
	}
	// 出生地: 0.8*0.3 = 0.24; 隶属: 0.2*0.7 = 0.14.
	if got.Label != 0 || !nearAll(got.Probs, []float64{0.24 / 0.38, 0.14 / 0.38}) {
		t.Errorf("Classify = %+v, want label 0, probs [%v %v]", got, 0.24/0.38, 0.14/0.38)
	}
}

func TestComposeErrors(t *testing.T) {
	tok := newFakeTok("人 地")
	cloze, _ := Parse("a", "{x}{mask}", Cloze)
	prefix, _ := Parse("p", "{x}{mask}", Prefix)
	withSep, _ := Parse("s", "{x}{sep}{y}{mask}", Cloze)
	if _, err := Compose("c", "", cloze, prefix); err == nil || err.Error() != "compose c: sub-template p is prefix; only cloze templates compose, a prefix template has one mask at its end" {
		t.Errorf("prefix: err = %v", err)
	}
	if _, err := Compose("c", "", withSep, withSep); err == nil || err.Error() != "compose c: more than one {sep} across sub-templates" {
		t.Errorf("seps: err = %v", err)
	}
	v, _ := NewVerbalizer([]string{"人", "地"}, [][]string{{"人"}, {"地"}}, "", "")
	tests := []struct {
		name  string
		slots []*Verbalizer
		rules [][]string
		want  string
	}{
		{"slot count", []*Verbalizer{v, v}, [][]string{{"人"}}, "composition a: 1 mask slots, 2 verbalizers"},
		{"rule count", []*Verbalizer{v}, nil, "composition a: 1 labels, 0 rules"},
		{"rule width", []*Verbalizer{v}, [][]string{{"人", "地"}}, `composition a: label "L": rule has 2 slot labels, want 1`},
		{"rule label", []*Verbalizer{v}, [][]string{{"天"}}, `composition a: label "L": slot 0 has no label "天" (has [人 地])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels := []string{"L"}
			_, err := NewComposition(cloze, tt.slots, labels, tt.rules, tok, 0)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMergeSpans(t *testing.T) {
	res := func(start, end, label int, p float64) SpanResult {
		return SpanResult{Span: Span{Start: start, End: end}, Label: label, Prob: p}
	}
	tests := []struct {
		name string
		in   []SpanResult
		want []SpanResult
	}{
		{"null dropped", []SpanResult{res(0, 2, 2, 0.9), res(3, 5, 1, 0.6)}, []SpanResult{res(3, 5, 1, 0.6)}},
		{"overlap keeps the more probable", []SpanResult{res(0, 2, 0, 0.6), res(1, 3, 1, 0.7)}, []SpanResult{res(1, 3, 1, 0.7)}},
		{"touching spans both stay, sorted by start", []SpanResult{res(2, 4, 0, 0.5), res(0, 2, 1, 0.9)}, []SpanResult{res(0, 2, 1, 0.9), res(2, 4, 0, 0.5)}},
		{"tie goes to the earlier start", []SpanResult{res(1, 3, 0, 0.8), res(0, 2, 0, 0.8)}, []SpanResult{res(0, 2, 0, 0.8)}},
		{"tie at one start goes to the shorter", []SpanResult{res(0, 3, 0, 0.8), res(0, 2, 1, 0.8)}, []SpanResult{res(0, 2, 1, 0.8)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MergeSpans(tt.in, 2); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeSpans = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecompose(t *testing.T) {
	text := "张三在北京工作"
	tok := newFakeTok(text + "中是。人地无")
	tpl, err := Parse("ner", "{text_a}中{span}是{mask}。", Cloze)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerbalizer([]string{"人名", "地名", "无"}, [][]string{{"人"}, {"地"}, {"无"}}, "", "")
	p, err := NewPrompt(tpl, v, tok, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &stubScorer{rules: []rule{
		{"中张三是", []float64{0.9, 0.05, 0.05}},
		{"中张是", []float64{0.6, 0.1, 0.3}}, // overlaps 张三, less sure
		{"中北京是", []float64{0.1, 0.8, 0.1}},
		{"中京是", []float64{0.1, 0.7, 0.2}}, // overlaps 北京, less sure
		{"", []float64{0.05, 0.05, 0.9}},
	}}
	spans := Spans(text, 2)
	if len(spans) != 7+6 {
		t.Fatalf("Spans: %d candidates, want 13", len(spans))
	}
	got, err := Decompose(context.Background(), s, p, map[string]string{"text_a": text}, "span", spans, "无")
	if err != nil {
		t.Fatal(err)
	}
	want := []SpanResult{
		{Span: Span{0, 2, "张三"}, Label: 0, Prob: 0.9},
		{Span: Span{3, 5, "北京"}, Label: 1, Prob: 0.8},
	}
	if len(got) != len(want) {
		t.Fatalf("Decompose = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Span != want[i].Span || got[i].Label != want[i].Label || !near(got[i].Prob, want[i].Prob) {
			t.Errorf("result %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(s.seen) != len(spans) {
		t.Errorf("asked %d sub-questions, want %d", len(s.seen), len(spans))
	}
}
