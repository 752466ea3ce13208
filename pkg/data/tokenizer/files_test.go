package tokenizer

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestVocabTxtDuplicates(t *testing.T) {
	const specials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
	tests := []struct {
		name, vocab string
		want        []string // warnings, after "<path>:"
	}{
		{"none", specials + "好\n##的\n", nil},
		{"one", specials + "好\n的\n好\n", []string{`8: token "好" repeats line 6; it gets id 7 (its last line, as in HF) and id 5 has no token`}},
		{"CRLF", strings.ReplaceAll(specials+"a\nb\na\n", "\n", "\r\n"), []string{`8: token "a" repeats line 6; it gets id 7 (its last line, as in HF) and id 5 has no token`}},
		{"special", specials + "[UNK]\n", []string{`6: token "[UNK]" repeats line 2; it gets id 5 (its last line, as in HF) and id 1 has no token`}},
		{"thrice", specials + "x\nx\nx\n", []string{
			`7: token "x" repeats line 6; it gets id 6 (its last line, as in HF) and id 5 has no token`,
			`8: token "x" repeats line 7; it gets id 7 (its last line, as in HF) and id 6 has no token`,
		}},
		{"capped", specials + strings.Repeat("\n", 8), []string{
			`7: token "" repeats line 6; it gets id 6 (its last line, as in HF) and id 5 has no token`,
			`8: token "" repeats line 7; it gets id 7 (its last line, as in HF) and id 6 has no token`,
			`9: token "" repeats line 8; it gets id 8 (its last line, as in HF) and id 7 has no token`,
			`10: token "" repeats line 9; it gets id 9 (its last line, as in HF) and id 8 has no token`,
			`11: token "" repeats line 10; it gets id 10 (its last line, as in HF) and id 9 has no token`,
			`… and 2 more repeated tokens`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vocab.txt")
			if err := os.WriteFile(path, []byte(tt.vocab), 0o644); err != nil {
				t.Fatal(err)
			}
			tok, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range tok.Warnings() {
				got = append(got, strings.TrimPrefix(w, path+":"))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
