package prompt

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

func pool() []Example {
	ex := func(text, label string) Example {
		return Example{Fields: map[string]string{"text_a": text}, Label: label}
	}
	return []Example{
		ex("好", "正面"), ex("很好", "正面"), ex("不错", "正面"), ex("满意", "正面"),
		ex("差", "负面"), ex("很差", "负面"),
	}
}

func TestSelect(t *testing.T) {
	labels := []string{"正面", "负面"}
	query := map[string]string{"text_a": "很好"}
	d := Demos{Pool: pool(), K: 3, Seed: 7}
	a, err := d.Select(query, labels)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.Select(query, labels)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed drew %v then %v", a, b)
	}
	if len(a) != 3 {
		t.Fatalf("drew %d, want 3", len(a))
	}
	for _, ex := range a {
		if ex.Fields["text_a"] == "很好" {
			t.Errorf("drew the query itself")
		}
	}
	differs := false
	for seed := uint64(0); seed < 20 && !differs; seed++ {
		c, _ := Demos{Pool: pool(), K: 3, Seed: seed}.Select(query, labels)
		differs = !reflect.DeepEqual(a, c)
	}
	if !differs {
		t.Errorf("20 seeds all drew %v", a)
	}

	all, _ := Demos{Pool: pool(), K: 10, Seed: 1}.Select(query, labels)
	if len(all) != 5 {
		t.Errorf("K beyond the pool drew %d, want the 5 non-query examples", len(all))
	}
}

func TestSelectBalanced(t *testing.T) {
	labels := []string{"正面", "负面"}
	for seed := range uint64(10) {
		got, err := Demos{Pool: pool(), K: 5, Seed: seed, Balanced: true}.Select(map[string]string{"text_a": "x"}, labels)
		if err != nil {
			t.Fatal(err)
		}
		var seq []string
		for _, ex := range got {
			seq = append(seq, ex.Label)
		}
		// Round-robin until 负面's two examples run out.
		if want := []string{"正面", "负面", "正面", "负面", "正面"}; !slices.Equal(seq, want) {
			t.Errorf("seed %d: labels %v, want %v", seed, seq, want)
		}
	}
	_, err := Demos{Pool: pool(), K: 2, Balanced: true}.Select(nil, []string{"正面"})
	if want := `demonstrations: example label "负面" is not one of [正面]`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestRenderWithDemos(t *testing.T) {
	tok := newFakeDecoder("评论：情感：很不；好差一般")
	tpl, err := Parse("t", "评论：{text_a}情感：{mask}", Prefix)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很"}, {"不"}}, "", "")
	demos := []Example{pool()[0], pool()[4]} // 好/正面, 差/负面
	query := map[string]string{"text_a": "一般"}
	// Query: 评论：(3) 一般(2) 情感：(3) + 1 reserved = 9 tokens.
	// Each demonstration: 3 + 1 + 3 + word 1 + separator 1 = 9 tokens.
	tests := []struct {
		name     string
		maxLen   int
		strict   bool
		wantText string
		wantUsed int
		wantErr  string
	}{
		{"no limit", 0, false, "评论：好情感：很；评论：差情感：不；评论：一般情感：", 2, ""},
		{"exactly two fit", 27, false, "评论：好情感：很；评论：差情感：不；评论：一般情感：", 2, ""},
		{"the second is dropped", 26, false, "评论：好情感：很；评论：一般情感：", 1, ""},
		{"strict", 26, true, "", 0, "prompt t: 2 demonstrations need 27 tokens, max length is 26"},
		{"none fits", 17, false, "", 0, "prompt t: no demonstration fits in max length 17: the query alone needs 9 tokens, with one demonstration 18"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPrompt(tpl, v, tok, tt.maxLen)
			if err != nil {
				t.Fatal(err)
			}
			r, used, err := p.RenderWithDemos(query, demos, "；", tt.strict)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tt.wantText || len(used) != tt.wantUsed {
				t.Errorf("text %q with %d demos, want %q with %d", r.Text, len(used), tt.wantText, tt.wantUsed)
			}
			if want := [][]int{{len(r.IDs)}}; !reflect.DeepEqual(r.Masks, want) {
				t.Errorf("Masks = %v, want %v (just past the ids)", r.Masks, want)
			}
			if r.Truncated != 0 {
				t.Errorf("query truncated by %d tokens", r.Truncated)
			}
		})
	}
}

func TestClassifyWithDemos(t *testing.T) {
	tok := newFakeDecoder("评论：情感：很不；好差一般满意")
	tpl, _ := Parse("t", "评论：{text_a}情感：{mask}", Prefix)
	v, _ := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很"}, {"不"}}, "", "")
	p, err := NewPrompt(tpl, v, tok, 64)
	if err != nil {
		t.Fatal(err)
	}
	s := &stubScorer{rules: []rule{{"评论：一般情感：", []float64{0.3, 0.7}}}}
	d := Demos{Pool: pool(), K: 2, Seed: 3, Balanced: true, Sep: "；"}
	pred, used, err := p.ClassifyWithDemos(context.Background(), s, map[string]string{"text_a": "一般"}, d)
	if err != nil {
		t.Fatal(err)
	}
	if pred.Label != 1 || len(used) != 2 || used[0].Label != "正面" || used[1].Label != "负面" {
		t.Fatalf("pred %+v with demos %+v", pred, used)
	}
	want := "评论：" + used[0].Fields["text_a"] + "情感：很；评论：" + used[1].Fields["text_a"] + "情感：不；评论：一般情感："
	if len(s.seen) != 1 || s.seen[0] != want {
		t.Errorf("scored %q, want %q", s.seen, want)
	}
}
