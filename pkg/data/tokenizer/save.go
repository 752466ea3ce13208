package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// Files are the tokenizer files Load recognises, in a model directory.
var Files = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model", "vocab.txt", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe"}

// SaveFiles copies a tokenizer next to a saved model, as HF's
// save_pretrained does, so `--model DIR` alone is enough downstream. src is
// what Load or a --tokenizer flag takes: a directory (its tokenizer files
// are copied) or a single vocab.txt / tokenizer.json file. Files dir already
// has are left alone. It returns the names written.
func SaveFiles(src, dir string) ([]string, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("save tokenizer: %w", err)
	}
	type pair struct{ from, name string }
	var todo []pair
	if fi.IsDir() {
		for _, name := range Files {
			if exists(filepath.Join(src, name)) {
				todo = append(todo, pair{filepath.Join(src, name), name})
			}
		}
	} else {
		name := filepath.Base(src)
		if name != "tokenizer.json" {
			name = "vocab.txt" // a lone file other than tokenizer.json is a WordPiece vocabulary
		}
		todo = append(todo, pair{src, name})
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("save tokenizer: no tokenizer files in %s", src)
	}
	var written []string
	for _, p := range todo {
		dst := filepath.Join(dir, p.name)
		if exists(dst) {
			continue
		}
		if err := safetensors.CopyAtomic(p.from, dst); err != nil {
			return written, fmt.Errorf("save tokenizer: %w", err)
		}
		written = append(written, p.name)
	}
	return written, nil
}
