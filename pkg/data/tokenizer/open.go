package tokenizer

import (
	"fmt"
	"os"
	"strings"
)

// Open reads a tokenizer from a directory (Load), a tokenizer.json file,
// or a WordPiece vocabulary file such as bert-base-chinese-vocab.txt. It is
// how every command reads --tokenizer.
func Open(path string) (*Pipeline, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("tokenizer: %w", err)
	case st.IsDir():
		return Load(path)
	case strings.HasSuffix(path, ".json"):
		return FromTokenizerJSON(path)
	}
	return NewBert(path, DefaultBertOptions())
}
