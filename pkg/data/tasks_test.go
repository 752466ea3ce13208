package data

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestRankedPairs(t *testing.T) {
	tests := []struct {
		responses []string
		want      [][2]string
	}{
		{[]string{"a", "b"}, [][2]string{{"a", "b"}}},
		{[]string{"a", "b", "c"}, [][2]string{{"a", "b"}, {"a", "c"}, {"b", "c"}}},
		{[]string{"a"}, nil},
	}
	for _, tt := range tests {
		var got [][2]string
		for _, p := range (Ranked{Prompt: "p", Responses: tt.responses}).Pairs() {
			if p.Prompt != "p" {
				t.Errorf("prompt %q", p.Prompt)
			}
			got = append(got, [2]string{p.Chosen, p.Rejected})
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Pairs(%q) = %q, want %q", tt.responses, got, tt.want)
		}
	}
	if n := len((Ranked{Responses: make([]string, 7)}).Pairs()); n != 21 {
		t.Errorf("7 responses give %d pairs, want 7*6/2 = 21", n)
	}
}

// rankExamples is a small CMRC-like set: three articles, two questions each.
func rankExamples() []Example {
	var exs []Example
	for a := range 3 {
		ctx := fmt.Sprintf("第%d篇的第一句。第二句很长！第三句？", a)
		for q := range 2 {
			exs = append(exs, Example{Group: fmt.Sprint("A", a), Prompt: ctx, Response: fmt.Sprintf("文章%d问题%d是什么", a, q)})
		}
	}
	return exs
}

func TestRewardRank(t *testing.T) {
	exs := rankExamples()
	sample := func(ctx string) (string, error) { return "模型:" + ctx[:3], nil }
	for _, withSample := range []bool{false, true} {
		opt := RankOptions{Seed: 7}
		want := 6
		if withSample {
			opt.Sample, want = sample, 7
		}
		got, err := RewardRank(exs, opt)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := RewardRank(exs, opt)
		if !reflect.DeepEqual(got, again) {
			t.Error("same seed, different lists")
		}
		other, _ := RewardRank(exs, RankOptions{Seed: 8, Sample: opt.Sample})
		if reflect.DeepEqual(got, other) {
			t.Error("seeds 7 and 8 gave the same lists")
		}
		for i, r := range got {
			ex, rs := exs[i], r.Responses
			if len(rs) != want || r.Prompt != ex.Prompt || r.Group != ex.Group || rs[0] != ex.Response {
				t.Fatalf("list %d = %q, want %d items starting with the gold question", i, rs, want)
			}
			if withSample {
				if s, _ := sample(ex.Prompt); rs[1] != s {
					t.Errorf("list %d item 2 = %q, want the sample %q", i, rs[1], s)
				}
				rs = append(rs[:1:1], rs[2:]...)
			}
			otherQ, sent, trunc, empty, noise := rs[1], rs[2], rs[3], rs[4], rs[5]
			if !slices.ContainsFunc(exs, func(e Example) bool { return e.Response == otherQ && e.Group != ex.Group }) {
				t.Errorf("list %d: %q is not a question of another article", i, otherQ)
			}
			if !slices.Contains(strings.FieldsFunc(ex.Prompt, func(r rune) bool { return strings.ContainsRune("。！？", r) }), sent) {
				t.Errorf("list %d: %q is not a sentence of the context", i, sent)
			}
			if n := len([]rune(trunc)); n == 0 || n >= len([]rune(ex.Response)) || !strings.HasPrefix(ex.Response, trunc) {
				t.Errorf("list %d: %q is not a proper prefix of %q", i, trunc, ex.Response)
			}
			if empty != "" {
				t.Errorf("list %d: item 6 = %q, want empty", i, empty)
			}
			if len([]rune(noise)) != len([]rune(ex.Response)) || strings.ContainsFunc(noise, func(r rune) bool { return !strings.ContainsRune(ex.Prompt, r) }) {
				t.Errorf("list %d: noise %q not %d characters of the context", i, noise, len([]rune(ex.Response)))
			}
		}
	}
	_, err := RewardRank(exs[:2], RankOptions{})
	if err == nil || !strings.Contains(err.Error(), "need at least 2") {
		t.Errorf("one article: error %v", err)
	}
	_, err = RewardRank(exs, RankOptions{Sample: func(string) (string, error) { return "", fmt.Errorf("boom") }})
	if err == nil || !strings.Contains(err.Error(), "example 0") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("sample failure: error %v", err)
	}
}

func TestStageReaders(t *testing.T) {
	p := writeFile(t, "s.jsonl", `{"prompt":"p1","response":"r1","group":"g"}`+"\n"+`{"prompt":"p2","response":"r2"}`)
	exs, _, err := ReadSFT(p, Options{})
	if want := []Example{{"g", "p1", "r1"}, {"", "p2", "r2"}}; err != nil || !reflect.DeepEqual(exs, want) {
		t.Errorf("ReadSFT = %v, %v; want %v", exs, err, want)
	}
	p = writeFile(t, "p.jsonl", `{"prompt":"p","chosen":"c","rejected":""}`)
	pairs, _, err := ReadPreference(p, Options{})
	if want := []Pair{{"", "p", "c", ""}}; err != nil || !reflect.DeepEqual(pairs, want) {
		t.Errorf("ReadPreference = %v, %v; want %v", pairs, err, want)
	}
	p = writeFile(t, "r.jsonl", `{"prompt":"p","responses":["a","b",""]}`)
	rs, _, err := ReadRanked(p, Options{})
	if want := []Ranked{{"", "p", []string{"a", "b", ""}}}; err != nil || !reflect.DeepEqual(rs, want) {
		t.Errorf("ReadRanked = %v, %v; want %v", rs, err, want)
	}
	p = writeFile(t, "q.jsonl", `{"prompt":"p","extra":1}`)
	ps, _, err := ReadPrompts(p, Options{})
	if want := []Example{{"", "p", ""}}; err != nil || !reflect.DeepEqual(ps, want) {
		t.Errorf("ReadPrompts = %v, %v; want %v", ps, err, want)
	}
}

func TestCMRCRankedReal(t *testing.T) {
	path := sharedData(t, "cmrc2018/cmrc_dev.json")
	a, _, err := CMRCRanked(path, Options{}, RankOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := CMRCRanked(path, Options{}, RankOptions{Seed: 1})
	if len(a) != 2569 || !reflect.DeepEqual(a, b) {
		t.Errorf("%d lists, deterministic %v; want 2569, true", len(a), reflect.DeepEqual(a, b))
	}
}

// TestBuilders runs each book-data builder on a tiny hand-written file, so
// the mapping from fields to examples is checked without ../shared.
func TestBuilders(t *testing.T) {
	ie := `{"ID":"AT1","text":"加速后发动机熄火，车有异响","spo_list":[` +
		`{"h":{"name":"发动机","pos":[3,6]},"t":{"name":"熄火","pos":[6,8]},"relation":"部件故障"},` +
		`{"h":{"name":"车","pos":[9,10]},"t":{"name":"异响","pos":[11,13]},"relation":"部件故障"}]}` + "\n" +
		`{"ID":"AT2","text":"正常","spo_list":[]}`
	squad := `{"data":[{"id":"D0","paragraphs":[{"id":"D0","context":"北京。","qas":[{"question":"哪里？","id":"q0"},{"question":"何时？","id":"q1"}]}]},` +
		`{"id":"D1","paragraphs":[{"id":"D1","context":"上海。","qas":[{"question":"谁？","id":"q2"}]}]}]}`
	tests := []struct {
		name, file, content string
		build               func(string) (any, error)
		want                any
	}{
		{"summarization", "s.json", `[{"content":"摘要","title":"题目"}]`,
			func(p string) (any, error) { x, _, err := Summarization(p, Options{}); return x, err },
			[]Example{{Prompt: "摘要", Response: "题目"}}},
		{"fault ie", "f.jsonl", ie,
			func(p string) (any, error) { x, _, err := FaultIE(p, Options{}); return x, err },
			[]Example{{Group: "AT1", Prompt: "加速后发动机熄火，车有异响", Response: "发动机_部件故障_熄火\n车_部件故障_异响"}, {Group: "AT2", Prompt: "正常"}}},
		{"cmrc", "c.json", squad,
			func(p string) (any, error) { x, _, err := CMRCQuestions(p, Options{}); return x, err },
			[]Example{{"D0", "北京。", "哪里？"}, {"D0", "北京。", "何时？"}, {"D1", "上海。", "谁？"}}},
		{"classification", "c.csv", "label,review\n1,\"好,很好\"\n0,差\n",
			func(p string) (any, error) { x, _, err := Classification(p, Options{}); return x, err },
			[]Labeled{{Text: "好,很好", Label: 1, Pos: Pos{Line: 2}}, {Text: "差", Label: 0, Pos: Pos{Line: 3}}}},
		{"classification mapped from jsonl", "c.jsonl", `{"y":2,"sentence":"中"}`,
			func(p string) (any, error) {
				x, _, err := Classification(p, Options{Fields: FieldMap{"label": "y", "review": "sentence"}})
				return x, err
			},
			[]Labeled{{Text: "中", Label: 2, Pos: Pos{Line: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			got, err := tt.build(path)
			if err != nil {
				t.Fatal(err)
			}
			if xs, ok := got.([]Labeled); ok { // each names its file (checked here) and line
				for i := range xs {
					if xs[i].Pos.File != path {
						t.Errorf("record %d read from %q, want %q", i, xs[i].Pos.File, path)
					}
					xs[i].Pos.File = ""
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
