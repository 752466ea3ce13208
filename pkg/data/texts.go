package data

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// ReadTexts reads one text per example: a .txt file holds one per line
// (blank lines skipped); any other file is read with opt (JSON, JSONL,
// CSV, …) and each record's field is the text (after opt's renames).
// Pretraining corpora and PPO prompts are read this way. path may be a glob
// pattern (see Expand).
func ReadTexts(path, field string, opt Options) ([]string, error) {
	files, err := Expand([]string{path})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if out, err = readTexts(out, f, field, opt); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %s texts", path, field)
	}
	return out, nil
}

// readTexts appends the texts of one file to out.
func readTexts(out []string, path, field string, opt Options) ([]string, error) {
	if strings.EqualFold(filepath.Ext(path), ".txt") {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); t != "" {
				out = append(out, t)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	} else {
		_, err := Read(path, opt, func(r Record) error {
			t, err := r.String(field)
			if err == nil && strings.TrimSpace(t) != "" {
				out = append(out, t)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EOS is the id a model config names eos_token_id for a vocabulary: its
// eos, else [SEP] (the book's Chinese GPT-2 and T5 use BERT's vocabulary),
// else -1.
func EOS(sp tokenizer.Specials) int64 {
	if sp.EOS >= 0 {
		return sp.EOS
	}
	return sp.SEP
}

// BOS is the id a model config names bos_token_id: bos, else [CLS].
func BOS(sp tokenizer.Specials) int64 {
	if sp.BOS >= 0 {
		return sp.BOS
	}
	return sp.CLS
}
