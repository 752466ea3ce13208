package data

import (
	"bufio"
	"fmt"
	"io"
)

// csvScanner splits CSV or TSV text into rows the way pandas.read_csv's C
// parser does with its defaults (quotechar '"', doublequote, no escape
// character, skip_blank_lines), which is what 🤗 datasets' csv loader
// calls. encoding/csv follows RFC 4180 and refuses files pandas reads,
// most often a '"' inside an unquoted cell. The rules:
//
//   - A cell is quoted only if its first byte is '"'. Inside it, '""' is
//     one quote and the delimiter and line ends are text. After the
//     closing quote the cell goes on unquoted up to the next delimiter or
//     line end: "ab"c reads abc.
//   - In an unquoted cell '"' is an ordinary character: say "hi" reads as
//     it is written.
//   - Lines are ended by \n, \r\n or a lone \r. A line that is empty or
//     holds only spaces and tabs (tabs that are not the delimiter) is
//     skipped.
//   - A quote still open at the end of the file is an error, located at
//     the line where it opened.
//
// One difference is left on purpose: after a lone \r line end (old Mac
// files), a line that starts with a space, tab or the delimiter reads as
// written here, where pandas' parser is erratic (it drops the delimiter,
// or repeats rows).
//
// Lines are counted by '\n', as the other readers count them.
type csvScanner struct {
	br    *bufio.Reader
	path  string
	comma byte
	line  int // line of the next byte
	col   int // column (in characters) of the next byte
	cell  []byte
	row   csvRow
}

// csvRow is one record: its cells and the line each starts on.
type csvRow struct {
	cells []string
	lines []int
}

// newCSVScanner reads r, dropping a leading UTF-8 BOM (Excel writes one)
// before tokenizing, as pandas does: a quoted first header cell after it
// is still quoted.
func newCSVScanner(r io.Reader, path string, comma byte) *csvScanner {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\uFEFF" {
		br.Discard(3)
	}
	return &csvScanner{br: br, path: path, comma: comma, line: 1, col: 1}
}

// readByte returns the next byte and advances the position; ok is false at
// the end of the input.
func (s *csvScanner) readByte() (b byte, ok bool, err error) {
	b, err = s.br.ReadByte()
	if err == io.EOF {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("%s:%d: %w", s.path, s.line, err)
	}
	switch {
	case b == '\n':
		s.line++
		s.col = 1
	case b&0xC0 != 0x80: // not a UTF-8 continuation byte: a new character
		s.col++
	}
	return b, true, nil
}

// eatLF consumes the '\n' of a "\r\n" line end.
func (s *csvScanner) eatLF() error {
	b, err := s.br.Peek(1)
	if err == nil && b[0] == '\n' {
		_, _, err = s.readByte()
		return err
	}
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s:%d: %w", s.path, s.line, err)
	}
	return nil
}

// isBlank reports whether b may make up a skipped blank line.
func (s *csvScanner) isBlank(b byte) bool {
	return (b == ' ' || b == '\t') && b != s.comma
}

// next returns the next row, or io.EOF after the last. The row's slices
// are reused by the following call.
func (s *csvScanner) next() (csvRow, error) {
	s.row.cells, s.row.lines = s.row.cells[:0], s.row.lines[:0]
	s.cell = s.cell[:0]
	b, err := s.skipBlank()
	if err != nil {
		return csvRow{}, err
	}
	for {
		// b is the first byte of a cell (after the leading blanks of a
		// row's first cell, which skipBlank put in s.cell)
		if b == '"' && len(s.cell) == 0 {
			if err := s.quoted(s.line, s.col-1); err != nil {
				return csvRow{}, err
			}
			ok, err := s.read(&b)
			if err != nil || !ok {
				s.endCell()
				return s.row, err
			}
		}
		// the unquoted cell, or what follows a quoted one's closing quote
		for b != s.comma && b != '\n' && b != '\r' {
			s.cell = append(s.cell, b)
			ok, err := s.read(&b)
			if err != nil || !ok {
				s.endCell()
				return s.row, err
			}
		}
		s.endCell()
		switch b {
		case '\n':
			return s.row, nil
		case '\r':
			return s.row, s.eatLF()
		}
		line := s.line
		ok, err := s.read(&b)
		if err != nil {
			return csvRow{}, err
		}
		s.row.lines = append(s.row.lines, line)
		if !ok { // a delimiter ends the file: one more, empty, cell
			s.endCell()
			return s.row, nil
		}
	}
}

// read reads the next byte into *b; ok is false at the end of the input.
func (s *csvScanner) read(b *byte) (ok bool, err error) {
	*b, ok, err = s.readByte()
	return ok, err
}

// skipBlank skips blank lines and returns the first byte of the next row,
// having recorded the row's line. Leading spaces of a line that turns out
// not to be blank are the start of its first cell, which is then unquoted,
// so they are left in s.cell.
func (s *csvScanner) skipBlank() (byte, error) {
	for {
		line := s.line
		b, ok, err := s.readByte()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, io.EOF
		}
		switch {
		case b == '\n':
		case b == '\r':
			if err := s.eatLF(); err != nil {
				return 0, err
			}
		case s.isBlank(b):
			if len(s.cell) == 0 {
				s.row.lines = append(s.row.lines, line)
			}
			s.cell = append(s.cell, b)
			continue
		default:
			if len(s.cell) == 0 {
				s.row.lines = append(s.row.lines, line)
			}
			return b, nil
		}
		s.cell = s.cell[:0]
		s.row.lines = s.row.lines[:0]
	}
}

// quoted reads a quoted cell's text after its opening quote, up to and
// including the closing one.
func (s *csvScanner) quoted(openLine, openCol int) error {
	for {
		b, ok, err := s.readByte()
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf(`%s:%d: the quoted cell opened at line %d, column %d never closes: its '"' runs to the end of the file`, s.path, openLine, openLine, openCol)
		}
		if b != '"' {
			s.cell = append(s.cell, b)
			continue
		}
		next, err := s.br.Peek(1)
		if err == nil && next[0] == '"' {
			s.readByte()
			s.cell = append(s.cell, '"')
			continue
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", s.path, s.line, err)
		}
		return nil
	}
}

// endCell appends the cell read so far to the row.
func (s *csvScanner) endCell() {
	s.row.cells = append(s.row.cells, string(s.cell))
	s.cell = s.cell[:0]
}
