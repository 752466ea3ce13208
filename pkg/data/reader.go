package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is an input file layout.
type Format string

const (
	FormatAuto  Format = ""      // by extension; .json is sniffed (see DetectFormat)
	FormatJSON  Format = "json"  // one JSON array of objects
	FormatJSONL Format = "jsonl" // one JSON object per line
	FormatCSV   Format = "csv"   // comma-separated, header row, quoting as pandas.read_csv reads it
	FormatTSV   Format = "tsv"   // tab-separated, header row
	FormatSQuAD Format = "squad" // {"data":[{"paragraphs":[{"context","qas":[...]}]}]}, one record per question
	// FormatParquet is an Apache Parquet file, as HF datasets'
	// Dataset.to_parquet writes it: one record per row (parquet.go).
	FormatParquet Format = "parquet"
	// FormatArrow is an Arrow IPC file (the stream format HF datasets
	// writes its cache files and Dataset.save_to_disk shards in) or a
	// save_to_disk directory: one record per row (arrow.go).
	FormatArrow Format = "arrow"
)

// ParseFormat checks a --format flag value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatAuto, FormatJSON, FormatJSONL, FormatCSV, FormatTSV, FormatSQuAD, FormatParquet, FormatArrow:
		return f, nil
	}
	return "", fmt.Errorf("unknown data format %q (want json, jsonl, csv, tsv, squad, parquet or arrow)", s)
}

// DetectFormat picks the format from the extension, looking through a
// trailing compression (data.jsonl.gz, data.jsonl.zst are JSONL; see
// codecs). A .json file is a JSON array when it starts with '[' and the
// SQuAD layout when it starts with '{'. A directory is one
// Dataset.save_to_disk wrote (Arrow).
func DetectFormat(path string) (Format, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return FormatArrow, nil
	}
	switch strings.ToLower(filepath.Ext(TrimCompression(path))) {
	case ".arrow":
		return FormatArrow, nil
	case ".parquet":
		return FormatParquet, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".csv":
		return FormatCSV, nil
	case ".tsv":
		return FormatTSV, nil
	case ".json":
		f, err := open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		br := bufio.NewReader(f)
		for {
			b, err := br.ReadByte()
			if err == io.EOF {
				return "", fmt.Errorf("%s: empty file, no records", path)
			}
			if err != nil {
				return "", fmt.Errorf("%s: %w", path, err)
			}
			switch b {
			case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // whitespace and a UTF-8 BOM
				continue
			case '{':
				return FormatSQuAD, nil
			default:
				return FormatJSON, nil
			}
		}
	}
	return "", fmt.Errorf("%s: cannot tell the format from the extension; set it explicitly", path)
}

// Options controls a read.
type Options struct {
	Format  Format   // FormatAuto picks by extension
	Fields  FieldMap // renames fields for the consumer
	SkipBad bool     // skip records failing with a RecordError instead of stopping
	// Chat renders conversational records (messages, or prompt/completion/
	// chosen/rejected given as turns); nil uses the built-in ChatML template.
	// Set it from the tokenizer with LoadChatTemplate.
	Chat *ChatTemplate
}

// chat returns the template for conversational records.
func (o Options) chat() (*ChatTemplate, error) {
	if o.Chat != nil {
		return o.Chat, nil
	}
	return defaultChat()
}

// maxReasons bounds the skip reasons kept in Stats.
const maxReasons = 5

// Stats reports what a read did.
type Stats struct {
	Records int      // records handed to the consumer and accepted
	Skipped int      // bad records skipped under SkipBad
	Reasons []string // the first few skip reasons, file:line: field: why
}

func (s Stats) String() string {
	if s.Skipped == 0 {
		return fmt.Sprintf("%d records", s.Records)
	}
	return fmt.Sprintf("%d records, %d skipped (first: %s)", s.Records, s.Skipped, strings.Join(s.Reasons, "; "))
}

// Read streams the records of a file to fn. A RecordError, from the file or
// returned by fn, stops the read unless opt.SkipBad is set, in which case it
// is counted in Stats and the read goes on. Framing errors (truncated JSON
// array, unterminated CSV quote) always stop: past them no record boundary
// can be trusted. A file with no accepted records is an error.
//
// path may also be a glob pattern (see Expand): its files are read in
// order, each as if given alone, and the Stats add up.
func Read(path string, opt Options, fn func(Record) error) (Stats, error) {
	files, err := Expand([]string{path})
	if err != nil {
		return Stats{}, err
	}
	var total Stats
	for _, f := range files {
		st, err := readFile(f, opt, fn)
		total.add(st)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// readFile is Read of one file.
func readFile(path string, opt Options, fn func(Record) error) (Stats, error) {
	format := opt.Format
	if format == FormatAuto {
		var err error
		if format, err = DetectFormat(path); err != nil {
			return Stats{}, err
		}
	}
	var st Stats
	emit := func(r Record, bad error) error {
		if bad == nil {
			r.names = opt.Fields
			bad = fn(r)
		}
		var re *RecordError
		switch {
		case bad == nil:
			st.Records++
			return nil
		case opt.SkipBad && errors.As(bad, &re):
			st.Skipped++
			if len(st.Reasons) < maxReasons {
				st.Reasons = append(st.Reasons, bad.Error())
			}
			return nil
		}
		return bad
	}
	if err := readFormat(path, format, emit); err != nil {
		return st, err
	}
	if st.Records == 0 {
		if st.Skipped > 0 {
			return st, fmt.Errorf("%s: all %d records are bad; first: %s", path, st.Skipped, st.Reasons[0])
		}
		return st, fmt.Errorf("%s: no records (empty file?)", path)
	}
	return st, nil
}

// readFormat opens path (through its decompressor for a .gz, .bz2, .xz or
// .zst name) and streams its records in format to emit.
func readFormat(path string, format Format, emit emitFunc) error {
	switch format {
	case FormatParquet, FormatArrow:
		if _, ok := codecOf(path); ok {
			if format == FormatArrow {
				return fmt.Errorf("%s: an Arrow file is read in place, as datasets memory-maps it: decompress it", path)
			}
			return fmt.Errorf("%s: a Parquet file compresses its own pages and needs random access: decompress it", path)
		}
		if format == FormatArrow {
			return readArrow(path, emit)
		}
		return readParquet(path, emit)
	}
	if _, err := ParseFormat(string(format)); err != nil {
		return err
	}
	f, err := open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	switch format {
	case FormatJSONL:
		err = readJSONL(f, path, emit)
	case FormatJSON:
		err = readJSONArray(f, path, emit)
	case FormatCSV:
		err = readCSV(f, path, ',', emit)
	case FormatTSV:
		err = readCSV(f, path, '\t', emit)
	case FormatSQuAD:
		err = readSQuAD(f, path, emit)
	}
	return err
}

// emitFunc hands one record, or the reason it is bad, to Read's policy.
type emitFunc func(r Record, bad error) error

// lineOf returns the 1-based line of a byte offset.
func lineOf(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// checkUTF8 returns nil for valid UTF-8 and otherwise the offset of the
// first invalid byte. encoding/json would silently turn such bytes into
// U+FFFD, which hides a wrongly encoded file (GBK is common for Chinese data).
func checkUTF8(b []byte) (int, error) {
	if utf8.Valid(b) {
		return 0, nil
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i, fmt.Errorf("invalid UTF-8 at byte %d (0x%02x); is the file GBK?", i, b[i])
		}
		i += size
	}
	return 0, nil
}
