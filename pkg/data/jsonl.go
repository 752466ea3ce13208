package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// readJSONL streams one JSON object per line. Blank lines are allowed (they
// still count for line numbers); a line that does not decode to an object is
// a RecordError, so SkipBad can pass over it.
func readJSONL(r io.Reader, path string, emit emitFunc) error {
	br := bufio.NewReader(r) // not bufio.Scanner: its 64 KiB line cap is too small for long documents
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			// A line cut short by a broken stream (a truncated .gz) is not
			// a bad record: say what broke.
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			pos := Pos{File: path, Line: line}
			if line == 1 {
				b = bytes.TrimPrefix(b, utf8BOM)
			}
			fields, bad := decodeObject(b)
			if bad != nil {
				bad = &RecordError{Pos: pos, Err: bad}
			}
			if err := emit(Record{Pos: pos, Fields: fields, Raw: bytes.TrimSpace(b)}, bad); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// decodeObject decodes one JSON value that must be an object.
func decodeObject(b []byte) (map[string]any, error) {
	if _, err := checkUTF8(b); err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("got a JSON %s, want an object", jsonType(v))
	}
	return m, nil
}
