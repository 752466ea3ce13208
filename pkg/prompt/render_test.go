package prompt

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// ids looks tokens up one by one in the fake vocabulary, so expected ids
// are spelled as tokens. A token missing from the vocabulary is a broken
// test, not an [UNK] to compare equal.
func ids(f *fakeTok, toks ...string) []int64 {
	out := make([]int64, len(toks))
	for i, t := range toks {
		id, ok := f.vocab[t]
		if !ok {
			panic(fmt.Sprintf("fake vocabulary has no token %q", t))
		}
		out[i] = id
	}
	return out
}

func TestRender(t *testing.T) {
	bert := newFakeTok("满意。房间很干净 一二三四五六 Review : It was . Great room")
	gpt := newFakeDecoder("Review: the room was very clean great Sentiment:", "a  b")
	tests := []struct {
		name    string
		src     string
		kind    Kind
		tok     *fakeTok
		example map[string]string
		maxLen  int
		want    Rendered
	}{
		{
			name: "book cloze, no limit", src: "{mask}满意。{text_a|trunc}", tok: bert,
			example: map[string]string{"text_a": "房间很干净"},
			want: Rendered{
				IDs:     ids(bert, "[CLS]", "[MASK]", "满", "意", "。", "房", "间", "很", "干", "净", "[SEP]"),
				TypeIDs: make([]int64, 11),
				Masks:   [][]int{{1}},
				Text:    "[CLS][MASK]满意。房间很干净[SEP]",
			},
		},
		{
			name: "book cloze, truncated from the tail", src: "{mask}满意。{text_a|trunc}", tok: bert,
			example: map[string]string{"text_a": "房间很干净"}, maxLen: 8,
			want: Rendered{
				IDs:       ids(bert, "[CLS]", "[MASK]", "满", "意", "。", "房", "间", "[SEP]"),
				TypeIDs:   make([]int64, 8),
				Masks:     [][]int{{1}},
				Text:      "[CLS][MASK]满意。房间[SEP]",
				Truncated: 3,
			},
		},
		{
			name: "prefix, truncated from the head, mask reserved", kind: Prefix, tok: gpt,
			src:     "Review: {text_a|trunc=head} Sentiment:{mask}",
			example: map[string]string{"text_a": "the room  was very clean"}, maxLen: 8,
			want: Rendered{
				IDs:       ids(gpt, "Review", ":", "Ġwas", "Ġvery", "Ġclean", "ĠSentiment", ":"),
				TypeIDs:   make([]int64, 7),
				Masks:     [][]int{{7}},
				Text:      "Review: was very clean Sentiment:",
				Truncated: 3, // Ġthe Ġroom Ġ
			},
		},
		{
			// "Review: " then "great" must not become Review : Ġ great.
			name: "prefix, literal space joins the field", kind: Prefix, tok: gpt,
			src:     "Review: {text_a} Sentiment:",
			example: map[string]string{"text_a": "great"},
			want: Rendered{
				IDs:     ids(gpt, "Review", ":", "Ġgreat", "ĠSentiment", ":"),
				TypeIDs: make([]int64, 5),
				Masks:   [][]int{{5}},
				Text:    "Review: great Sentiment:",
			},
		},
		{
			name: "two shortenable fields, longest first, sep type ids", tok: bert,
			src:     "{text_a|trunc}{sep}{text_b|trunc}{mask}",
			example: map[string]string{"text_a": "一二三四", "text_b": "五六"}, maxLen: 7,
			want: Rendered{
				IDs:       ids(bert, "[CLS]", "一", "二", "[SEP]", "五", "[MASK]", "[SEP]"),
				TypeIDs:   []int64{0, 0, 0, 0, 1, 1, 1},
				Masks:     [][]int{{5}},
				Text:      "[CLS]一二[SEP]五[MASK][SEP]",
				Truncated: 3,
			},
		},
		{
			name: "soft tokens and a two-token mask", tok: bert,
			src:     "{soft:2}{text_a}{mask:2}",
			example: map[string]string{"text_a": "很干净"},
			want: Rendered{
				IDs:           ids(bert, "[CLS]", "[PAD]", "[PAD]", "很", "干", "净", "[MASK]", "[MASK]", "[SEP]"),
				TypeIDs:       make([]int64, 9),
				Masks:         [][]int{{6, 7}},
				SoftPositions: []int{1, 2},
				Text:          "[CLS][P0][P1]很干净[MASK][MASK][SEP]",
			},
		},
		{
			name: "field text keeps its spacing after truncation", tok: bert,
			src:     "Review: {text_a|trunc} It was {mask}.",
			example: map[string]string{"text_a": "Great  room, NICE staff"}, maxLen: 10,
			want: Rendered{
				IDs:       ids(bert, "[CLS]", "Review", ":", "Great", "room", "It", "was", "[MASK]", ".", "[SEP]"),
				TypeIDs:   make([]int64, 10),
				Masks:     [][]int{{7}},
				Text:      "[CLS]Review: Great  room It was [MASK].[SEP]",
				Truncated: 3,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse("t", tt.src, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Render(tt.example, tt.tok, tt.maxLen)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Render\n got %+v\nwant %+v", *got, tt.want)
			}
			if tt.maxLen > 0 && len(got.IDs)+len(got.Masks[len(got.Masks)-1])*btoi(tt.kind == Prefix) > tt.maxLen {
				t.Errorf("rendered %d ids, max length %d", len(got.IDs), tt.maxLen)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRenderErrors(t *testing.T) {
	bert := newFakeTok("满意。房间很干净")
	gpt := newFakeDecoder("满意。房间很干净")
	tests := []struct {
		name    string
		src     string
		tok     *fakeTok
		example map[string]string
		maxLen  int
		want    string
	}{
		{"fixed part too long", "{mask}满意。{text_a|trunc}", bert, map[string]string{"text_a": "房间"}, 5,
			"t: template needs 6 tokens without its shortenable fields, max length is 5"},
		{"nothing shortenable", "{mask}满意。{text_a}", bert, map[string]string{"text_a": "房间很干净"}, 8,
			"t: prompt needs 11 tokens, max length is 8, and no field is marked |trunc"},
		{"missing field", "{mask}满意。{text_b}", bert, map[string]string{"text_a": "房间"}, 0,
			`t: example has no field "text_b"`},
		{"cloze on a decoder tokenizer", "{mask}满意。{text_a}", gpt, map[string]string{"text_a": "房间"}, 0,
			"t:1:1: cloze template needs a [MASK] token, the tokenizer has none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse("t", tt.src, Cloze)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tpl.Render(tt.example, tt.tok, tt.maxLen)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Render error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRenderFitsEveryLength checks the length contract over a range of
// limits: output never exceeds maxLen, and it errors exactly when the
// fixed part alone is too long.
func TestRenderFitsEveryLength(t *testing.T) {
	tok := newFakeTok("一二三四五六七八九十")
	tpl, err := Parse("t", "问：{text_a|trunc}答：{text_b|trunc=head}{mask}", Cloze)
	if err != nil {
		t.Fatal(err)
	}
	ex := map[string]string{"text_a": "一二三四五六七", "text_b": "八九十"}
	const fixed = 1 + 2 + 2 + 1 + 1 // [CLS] 问： 答： [MASK] [SEP]
	for maxLen := 1; maxLen <= 20; maxLen++ {
		r, err := tpl.Render(ex, tok, maxLen)
		if maxLen < fixed {
			if err == nil || !strings.Contains(err.Error(), "without its shortenable fields") {
				t.Errorf("maxLen %d: err = %v, want a does-not-fit error", maxLen, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("maxLen %d: %v", maxLen, err)
		}
		if want := min(maxLen, fixed+10); len(r.IDs) != want {
			t.Errorf("maxLen %d: %d ids, want %d", maxLen, len(r.IDs), want)
		}
	}
}
