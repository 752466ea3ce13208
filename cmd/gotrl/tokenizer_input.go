package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
)

// dataExts are the extensions read as records through pkg/data (also
// compressed: .jsonl.zst); any other file is plain text.
var dataExts = []string{".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".arrow"}

// trainSource feeds every input in turn: a plain-text file line by line
// with its line endings (HF's Tokenizer.train(files)), a data file the
// --text-fields values of each record (HF's train_from_iterator over them).
// read is told the bytes of every text; total is the inputs' size in bytes.
func trainSource(f *tokFlags, read func(n int)) (src tokenizer.Source, total int64, err error) {
	format, err := data.ParseFormat(f.format)
	if err != nil {
		return nil, 0, fmt.Errorf("--format: %w", err)
	}
	inputs, err := data.Expand(f.inputs)
	if err != nil {
		return nil, 0, fmt.Errorf("--train-file: %w", err)
	}
	for _, in := range inputs {
		fi, err := os.Stat(in)
		if err != nil {
			return nil, 0, fmt.Errorf("--train-file: %w", err)
		}
		total += dataSize(in, fi) // a directory is read as a save_to_disk one (pkg/data says if it is not)
		if isDataFile(in, format) && len(f.fields) == 0 {
			return nil, 0, fmt.Errorf("--train-file %s: a data file needs --text-fields NAME for the text (e.g. --text-fields content)", in)
		}
	}
	return func(emit func(string) error) error {
		counted := func(text string) error {
			read(len(text))
			return emit(text)
		}
		for _, in := range inputs {
			var err error
			if isDataFile(in, format) {
				err = emitRecords(in, format, f, counted)
			} else {
				err = tokenizer.TextFiles([]string{in})(counted)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}, total, nil
}

// dataSize is the bytes of an input: a save_to_disk directory's are in its
// shards.
func dataSize(path string, fi os.FileInfo) int64 {
	if !fi.IsDir() {
		return fi.Size()
	}
	shards, _ := filepath.Glob(filepath.Join(path, "*.arrow"))
	var n int64
	for _, s := range shards {
		if fi, err := os.Stat(s); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func isDataFile(path string, format data.Format) bool {
	if format != data.FormatAuto {
		return true
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return true // a save_to_disk directory
	}
	ext := strings.ToLower(filepath.Ext(data.TrimCompression(path)))
	for _, e := range dataExts {
		if ext == e {
			return true
		}
	}
	return false
}

// emitRecords emits the --field values each record has; a record with none
// of them is bad (--skip-bad skips it). The SQuAD layout repeats a
// paragraph's context (and an article's title) for each of its questions; a
// value equal to the previous record's is read once.
func emitRecords(path string, format data.Format, f *tokFlags, emit func(string) error) error {
	last := make([]string, len(f.fields))
	_, err := data.Read(path, data.Options{Format: format, SkipBad: f.skipBad}, func(r data.Record) error {
		found := false
		for i, name := range f.fields {
			if !r.Has(name) {
				continue
			}
			found = true
			text, err := r.String(name)
			if err != nil {
				return err
			}
			if r.Pos.Path != "" && text == last[i] { // SQuAD records are located by JSON path
				continue
			}
			last[i] = text
			if err := emit(text); err != nil {
				return err
			}
		}
		if !found {
			return &data.RecordError{Pos: r.Pos, Field: strings.Join(f.fields, ", "), Err: errors.New("missing (no --field is in this record)")}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("--input %s: %w", path, err)
	}
	return nil
}
