package metrics

import (
	"slices"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"chinese", "基于图", []string{"基", "于", "图"}},
		{"punctuation dropped", "基于，图。", []string{"基", "于", "图"}},
		{"latin run lowercased", "基于BERT的模型", []string{"基", "于", "bert", "的", "模", "型"}},
		{"letters and digits one run", "GPT2 v2.0", []string{"gpt2", "v2", "0"}},
		{"issue example", "基于BERT-2模型，准确率95％", []string{"基", "于", "bert", "2", "模", "型", "准", "确", "率", "95"}},
		{"full-width folded", "Ｇｐｔ２　ＬＳＴＭ", []string{"gpt2", "lstm"}},
		{"underscore separates", "a_b", []string{"a", "b"}},
		{"accented latin", "Café naïve", []string{"café", "naïve"}},
		{"combining mark stays in its run", "cafe\u0301", []string{"cafe\u0301"}},
		{"cyrillic word", "Привет мир", []string{"привет", "мир"}},
		{"hangul word", "한국어 문장", []string{"한국어", "문장"}},
		{"kana run", "カタカナとひらがな", []string{"カタカナとひらがな"}},
		{"kana between han", "日本の漢字", []string{"日", "本", "の", "漢", "字"}},
		{"greek, simple lowercase", "ΟΔΟΣ", []string{"οδοσ"}},
		{"dotted capital I", "İstanbul", []string{"istanbul"}},
		{"number forms", "①②步骤Ⅱ", []string{"①②", "步", "骤", "ⅱ"}},
		{"symbols dropped", "25℃±0.5℃ 😀", []string{"25", "0", "5"}},
		{"han outside BERT's blocks", "〇々⺀", []string{"〇", "々", "⺀"}},
		{"BERT block, not Han", "\uFA6E", []string{"\uFA6E"}},
		{"extension B", "\U00020000字", []string{"\U00020000", "字"}},
		{"CJK punctuation dropped", "「标题」、《书》", []string{"标", "题", "书"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tokens(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestIsCJK(t *testing.T) {
	for _, r := range []rune{'一', '龥', '\u9FFF', '㐀', '〇', '々', '⺀', '\uF900', '\U0002B920', '\U0002F800'} {
		if !IsCJK(r) {
			t.Errorf("IsCJK(%U) = false", r)
		}
	}
	for _, r := range []rune{'a', '1', 'あ', 'ア', '한', 'Я', '，', '。', '\u3000', '\u2E7F'} {
		if IsCJK(r) {
			t.Errorf("IsCJK(%U) = true", r)
		}
	}
}
