package tokenizer

import (
	"encoding/json"
	"strconv"
	"testing"
)

// charClasses is testdata/charclass.json.gz: what HF's BERT normalizer and
// both pre-tokenizers do with each code point on its own, as inclusive ranges.
type charClasses struct {
	BertRemoved [][2]rune         `json:"bert_removed"`
	BertSpace   [][2]rune         `json:"bert_space"`
	BertChinese [][2]rune         `json:"bert_chinese"`
	BertPunct   [][2]rune         `json:"bert_punct"`
	BertMapped  map[string]string `json:"bert_mapped"`
	GPT2Letter  [][2]rune         `json:"gpt2_letter"`
	GPT2Number  [][2]rune         `json:"gpt2_number"`
	GPT2Space   [][2]rune         `json:"gpt2_space"`
	GPT2Other   [][2]rune         `json:"gpt2_other"`
}

func readCharClasses(t *testing.T) charClasses {
	t.Helper()
	var c charClasses
	if err := json.NewDecoder(readGzip(t, "testdata/charclass.json.gz")).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// expand turns ranges into a per-code-point table.
func expand(table map[rune]string, ranges [][2]rune, value func(rune) string) {
	for _, rg := range ranges {
		for r := rg[0]; r <= rg[1]; r++ {
			table[r] = value(r)
		}
	}
}

// TestBertNormalizerEveryCodePoint normalizes each code point alone, as the
// fixture script did with HF's BertNormalizer, and checks which characters
// the BERT pre-tokenizer isolates as punctuation.
func TestBertNormalizerEveryCodePoint(t *testing.T) {
	c := readCharClasses(t)
	want := map[rune]string{}
	expand(want, c.BertRemoved, func(rune) string { return "" })
	expand(want, c.BertSpace, func(rune) string { return " " })
	expand(want, c.BertChinese, func(r rune) string { return " " + string(r) + " " })
	for k, v := range c.BertMapped {
		cp, err := strconv.Atoi(k)
		if err != nil {
			t.Fatal(err)
		}
		want[rune(cp)] = v
	}
	punct := map[rune]string{}
	expand(punct, c.BertPunct, func(rune) string { return "" })

	n := bertNormalizer{cleanText: true, chineseChars: true, stripAccents: true, lowercase: true}
	bad := 0
	for r := rune(0); r <= 0x10FFFF; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		exp, ok := want[r]
		if !ok {
			exp = string(r) // unchanged
		}
		got := string(n.normalize(newNormText([]rune{r}, 0)).runes)
		_, wantPunct := punct[r]
		gotPunct := got == string(r) && len(bertSplit([]rune{'a', r, 'a'})) == 3
		if got != exp || gotPunct != wantPunct {
			if bad++; bad <= 20 {
				t.Errorf("U+%04X: normalized %q (punct %v), HF %q (punct %v)", r, got, gotPunct, exp, wantPunct)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d code points differ from HF", bad)
	}
}

// TestGPT2SplitEveryCodePoint checks the class of each code point in GPT-2's
// split pattern the way the fixture script measured it with HF: a letter
// joins "x", a number joins "1", another symbol joins "!".
func TestGPT2SplitEveryCodePoint(t *testing.T) {
	c := readCharClasses(t)
	want := map[rune]string{}
	expand(want, c.GPT2Letter, func(rune) string { return "letter" })
	expand(want, c.GPT2Number, func(rune) string { return "number" })
	expand(want, c.GPT2Space, func(rune) string { return "space" })
	expand(want, c.GPT2Other, func(rune) string { return "other" })
	joins := func(prefix, r rune) bool { return len(gpt2Split([]rune{prefix, r})) == 1 }
	bad := 0
	for r := rune(0); r <= 0x10FFFF; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		got := "space"
		switch {
		case joins('x', r):
			got = "letter"
		case joins('1', r):
			got = "number"
		case joins('!', r):
			got = "other"
		}
		if got != want[r] {
			if bad++; bad <= 20 {
				t.Errorf("U+%04X: %s, HF %s", r, got, want[r])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d code points differ from HF", bad)
	}
}
