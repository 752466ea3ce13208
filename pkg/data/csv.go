package data

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// readCSV streams a CSV or TSV file whose first row names the columns,
// splitting it as pandas.read_csv does (see csvScanner); cells are kept as
// text. A row with more cells than the header is a RecordError (pandas
// refuses the file); a row with fewer reads its missing cells as empty, as
// pandas does. An unterminated quote stops the read, because the quote may
// have swallowed the rest of the file.
func readCSV(r io.Reader, path string, comma byte, emit emitFunc) error {
	sc := newCSVScanner(r, path, comma)
	row, err := sc.next()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file, no header row", path)
	}
	if err != nil {
		return err // it names the file and line
	}
	header := slices.Clone(row.cells)
	for i, h := range header {
		if h == "" { // a trailing delimiter in the header row, as pandas names it
			header[i] = fmt.Sprintf("Unnamed: %d", i)
		}
	}
	if err := checkHeader(header); err != nil {
		return fmt.Errorf("%s:%d: header: %w", path, row.lines[0], err)
	}
	for {
		row, err := sc.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		pos := Pos{File: path, Line: row.lines[0]}
		var bad error
		if len(row.cells) > len(header) {
			bad = &RecordError{Pos: pos, Err: fmt.Errorf("%d cells, want %d (%s)", len(row.cells), len(header), strings.Join(header, ","))}
		}
		fields := make(map[string]any, len(header))
		for i, h := range header {
			cell := ""
			if i < len(row.cells) {
				cell = row.cells[i]
			}
			if bad == nil && !utf8.ValidString(cell) {
				bad = &RecordError{Pos: Pos{File: path, Line: row.lines[i]}, Field: h, Err: errors.New("invalid UTF-8; is the file GBK?")}
			}
			fields[h] = cell
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
