package tokenizer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// readVocabTxt reads a WordPiece vocab.txt: one token per line, the id is the
// line index (HF's load_vocab; a repeated token keeps its last line). A
// repeated token is a warning naming both lines, not an error, since HF
// loads such files too; but it leaves the earlier line's id without a
// token, which is rarely what the file's author meant.
func readVocabTxt(path string) (map[string]int64, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read vocabulary: %w", err)
	}
	defer f.Close()
	vocab := map[string]int64{}
	var dups []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var n int64
	for sc.Scan() {
		tok := strings.TrimSuffix(sc.Text(), "\r")
		if prev, ok := vocab[tok]; ok {
			dups = append(dups, fmt.Sprintf("%s:%d: token %q repeats line %d; it gets id %d (its last line, as in HF) and id %d has no token",
				path, n+1, tok, prev+1, n, prev))
		}
		vocab[tok] = n
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s:%d: %w", path, n+1, err)
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("read %s: empty vocabulary", path)
	}
	return vocab, capWarnings(dups), nil
}

// maxWarnings bounds the warnings one file gives, so a damaged file
// (every line the same) prints a few lines and a count, not thousands.
const maxWarnings = 5

func capWarnings(ws []string) []string {
	if len(ws) <= maxWarnings {
		return ws
	}
	return append(ws[:maxWarnings:maxWarnings], fmt.Sprintf("… and %d more repeated tokens", len(ws)-maxWarnings))
}

// readVocabJSON reads a BPE vocab.json / encoder.json: {"token": id, ...}.
func readVocabJSON(path string) (map[string]int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	var vocab map[string]int64
	if err := json.Unmarshal(data, &vocab); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, jsonPosition(data, err))
	}
	if len(vocab) == 0 {
		return nil, fmt.Errorf("read %s: empty vocabulary", path)
	}
	return vocab, nil
}

// jsonPosition adds the line of a JSON syntax or type error.
func jsonPosition(data []byte, err error) error {
	var off int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return err
	}
	return fmt.Errorf("line %d: %w", 1+strings.Count(string(data[:min(off, int64(len(data)))]), "\n"), err)
}

// mergeLine is one BPE merge rule and the file line it came from.
type mergeLine struct {
	a, b string
	line int
}

// readMerges reads a merges.txt / vocab.bpe as HF's BPE::read_file does: a
// "#version" line is skipped and every other line must be two tokens
// separated by one space.
func readMerges(path string) ([]mergeLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read merges: %w", err)
	}
	defer f.Close()
	var merges []mergeLine
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if strings.HasPrefix(text, "#version") {
			continue
		}
		m, err := parseMerge(text)
		if err != nil {
			return nil, fmt.Errorf("read %s:%d: %w", path, line, err)
		}
		m.line = line
		merges = append(merges, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s:%d: %w", path, line+1, err)
	}
	return merges, nil
}

func parseMerge(text string) (mergeLine, error) {
	parts := strings.Split(text, " ")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return mergeLine{}, fmt.Errorf("merge %q: want two tokens separated by one space", text)
	}
	return mergeLine{a: parts[0], b: parts[1]}, nil
}
