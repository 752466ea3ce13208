package prompt

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// sharedVocab returns ../shared/vocab beside the repository root, or
// skips the test when it is missing.
func sharedVocab(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "vocab")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data missing: %v", err)
	}
	return dir
}

// vocabLines maps each line of a vocab.txt to its 0-based line number,
// which is the token id: an oracle independent of the tokenizer.
func vocabLines(t *testing.T, path string) map[string]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := map[string]int64{}
	sc := bufio.NewScanner(f)
	for n := int64(0); sc.Scan(); n++ {
		ids[sc.Text()] = n
	}
	return ids
}

func TestRenderBertChinese(t *testing.T) {
	path := filepath.Join(sharedVocab(t), "bert-base-chinese-vocab.txt")
	tok, err := tokenizer.NewBert(path, tokenizer.DefaultBertOptions())
	if err != nil {
		t.Fatal(err)
	}
	v := vocabLines(t, path)
	tpl, err := Parse("book", "{mask}满意。{text_a|trunc}", Cloze)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tpl.Render(map[string]string{"text_a": "房间很干净"}, tok, 8)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{101, 103, v["满"], v["意"], v["。"], v["房"], v["间"], 102}
	if !reflect.DeepEqual(r.IDs, want) || !reflect.DeepEqual(r.Masks, [][]int{{1}}) || r.Text != "[CLS][MASK]满意。房间[SEP]" {
		t.Errorf("Render = %+v, want ids %v, mask at 1", r, want)
	}

	verb, _ := NewVerbalizer([]string{"正面", "负面"}, [][]string{{"很", "非常"}, {"不"}}, Mean, Mean)
	words, err := verb.Tokenize(tok)
	if err != nil {
		t.Fatal(err)
	}
	wantWords := WordIDs{{{v["很"]}, {v["非"], v["常"]}}, {{v["不"]}}}
	if !reflect.DeepEqual(words, wantWords) {
		t.Errorf("Tokenize = %v, want %v", words, wantWords)
	}
	bad, _ := NewVerbalizer([]string{"正面"}, [][]string{{"很𠀀"}}, Mean, Mean)
	_, err = bad.Tokenize(tok)
	if want := `verbalizer: label "正面": word "很𠀀": piece "𠀀" is not in the vocabulary (token 1 is [UNK])`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// TestRenderGPT2MatchesWholeString checks that rendering part by part
// gives the ids of tokenizing the whole prompt at once when parts meet at
// spaces or punctuation, thanks to moving a literal's trailing spaces into
// the field.
func TestRenderGPT2MatchesWholeString(t *testing.T) {
	tok, err := tokenizer.Load(filepath.Join(sharedVocab(t), "gpt2"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Parse("t", "Review: {text_a} Sentiment:", Prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"great", "The room was dirty.", "  two spaces", "房间很干净", "-12.5 stars!"} {
		r, err := tpl.Render(map[string]string{"text_a": text}, tok, 0)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := tok.Encode("Review: "+text+" Sentiment:", false)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.IDs, whole.IDs) {
			t.Errorf("%q: parts %v, whole %v", text, r.IDs, whole.IDs)
		}
		if want := "Review: " + text + " Sentiment:"; r.Text != want {
			t.Errorf("Text = %q, want %q", r.Text, want)
		}
	}
}
