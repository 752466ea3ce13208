package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// readCSV streams a CSV or TSV file whose first row names the columns.
// A row with the wrong number of cells is a RecordError (the reader resyncs
// at the next line); other parse errors such as an unterminated quote stop
// the read, because the quote may have swallowed the rest of the file.
func readCSV(r io.Reader, path string, comma rune, emit emitFunc) error {
	cr := csv.NewReader(r)
	cr.Comma = comma
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file, no header row", path)
	}
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	if err := checkHeader(header); err != nil {
		return fmt.Errorf("%s:1: header: %w", path, err)
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, csv.ErrFieldCount) {
			hint := ""
			if errors.Is(err, csv.ErrBareQuote) { // pandas reads such a quote as text; RFC 4180 does not
				hint = `: quote the cell and double its quotes ("say ""hi"""), as pandas' to_csv writes it`
			}
			return fmt.Errorf("%s:%d: %w (at line %d, column %d)%s", path, pe.StartLine, pe.Err, pe.Line, pe.Column, hint)
		}
		if err != nil && pe == nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		pos := Pos{File: path, Line: line}
		var bad error
		if err != nil {
			bad = &RecordError{Pos: pos, Err: fmt.Errorf("%d cells, want %d (%s)", len(row), len(header), strings.Join(header, ","))}
		}
		fields := make(map[string]any, len(header))
		for i, cell := range row {
			if bad == nil && !utf8.ValidString(cell) {
				cellLine, _ := cr.FieldPos(i)
				bad = &RecordError{Pos: Pos{File: path, Line: cellLine}, Field: header[i], Err: errors.New("invalid UTF-8; is the file GBK?")}
			}
			if i < len(header) {
				fields[header[i]] = cell
			}
		}
		if err := emit(Record{Pos: pos, Fields: fields}, bad); err != nil {
			return err
		}
	}
}

// checkHeader rejects empty and repeated column names.
func checkHeader(header []string) error {
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if !utf8.ValidString(h) {
			return fmt.Errorf("column %d: invalid UTF-8", i+1)
		}
		if strings.TrimSpace(h) == "" {
			return fmt.Errorf("column %d has no name", i+1)
		}
		if seen[h] {
			return fmt.Errorf("column %q repeated", h)
		}
		seen[h] = true
	}
	return nil
}
