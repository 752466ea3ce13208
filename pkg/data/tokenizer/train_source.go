package tokenizer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// Source feeds training texts: it calls emit once per text and stops with
// emit's error. The order of texts does not change what is learned.
type Source func(emit func(text string) error) error

// Texts is a Source over texts in memory, each fed as it is (HF's
// train_from_iterator).
func Texts(texts []string) Source {
	return func(emit func(string) error) error {
		for _, t := range texts {
			if err := emit(t); err != nil {
				return err
			}
		}
		return nil
	}
}

// TextFiles is a Source over plain-text files as HF's Tokenizer.train(files)
// reads them: every line is a text and keeps its line ending ("\n" or
// "\r\n"), which byte-level BPE learns as a token of its own. A line that is
// not valid UTF-8 is an error naming the file and line.
func TextFiles(paths []string) Source {
	return func(emit func(string) error) error {
		for _, path := range paths {
			if err := readLines(path, emit); err != nil {
				return err
			}
		}
		return nil
	}
}

func readLines(path string, emit func(string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for line := 1; ; line++ {
		text, err := r.ReadString('\n')
		if text != "" {
			if !utf8.ValidString(text) {
				return fmt.Errorf("%s:%d: invalid UTF-8 at byte %d of the line", path, line, invalidUTF8At(text))
			}
			if err := emit(text); err != nil {
				return fmt.Errorf("%s:%d: %w", path, line, err)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
}
