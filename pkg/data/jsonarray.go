package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// readJSONArray reads a file holding one JSON array of objects. The file is
// read whole (JSON arrays are not line-framed, so a line number needs the
// bytes before it); elements are decoded one by one. A syntax error stops the
// read, while an element that is not an object is a RecordError.
func readJSONArray(r io.Reader, path string, emit emitFunc) error {
	data, err := readDocument(r, path)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%s: empty file, no records", path)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error {
		off := dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			off, err = int64(len(data)), errors.New("truncated JSON: unexpected end of file")
		}
		return fmt.Errorf("%s:%d: %w", path, lineOf(data, off), err)
	}
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%s:%d: got %v, want a JSON array of objects", path, lineOf(data, 0), tok)
	}
	for dec.More() {
		pos := Pos{File: path, Line: lineOf(data, elementStart(data, dec.InputOffset()))}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail(err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fail(err)
		}
		fields, ok := v.(map[string]any)
		var bad error
		if !ok {
			bad = &RecordError{Pos: pos, Err: fmt.Errorf("got a JSON %s, want an object", jsonType(v))}
		}
		if err := emit(Record{Pos: pos, Fields: fields, Raw: raw}, bad); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s:%d: data after the closing ']'", path, lineOf(data, dec.InputOffset()))
	}
	return nil
}

// elementStart skips the whitespace and comma the decoder has not consumed yet,
// so the reported line is the element's first line.
func elementStart(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// utf8BOM is skipped at the start of a file; Windows tools often write one.
var utf8BOM = []byte("\xEF\xBB\xBF")

// readDocument reads a whole JSON document, rejecting invalid UTF-8 at its line.
func readDocument(r io.Reader, path string) ([]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if off, err := checkUTF8(data); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, lineOf(data, int64(off)), err)
	}
	return data, nil
}
