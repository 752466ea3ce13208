package data

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Pos locates a record: a 1-based line for line-oriented and JSON array files,
// or a JSON path (data[3].paragraphs[0].qas[2]) for the SQuAD layout, whose
// records all come from one document.
type Pos struct {
	File string
	Line int
	Path string
}

func (p Pos) String() string {
	if p.Path != "" {
		return p.File + ":" + p.Path
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// RecordError is a problem with one record. Readers skip records that fail
// with it when Options.SkipBad is set; any other error stops reading.
type RecordError struct {
	Pos    Pos
	Field  string // the field asked for, empty when the whole record is bad
	Source string // the file's name for Field when a FieldMap renamed it
	Err    error
}

func (e *RecordError) Error() string {
	switch {
	case e.Field == "":
		return fmt.Sprintf("%s: %v", e.Pos, e.Err)
	case e.Source != "":
		return fmt.Sprintf("%s: field %q (file field %q): %v", e.Pos, e.Field, e.Source, e.Err)
	}
	return fmt.Sprintf("%s: field %q: %v", e.Pos, e.Field, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Record is one decoded record. Values are what encoding/json produces
// (string, float64, bool, nil, []any, map[string]any); CSV values are strings;
// Parquet values are converted to the same types (int64 only for integers
// beyond 2^53).
// Accessors take the name the consumer expects and look it up through the
// field mapping, so a task builder never knows how the file spells it.
type Record struct {
	Pos    Pos
	Fields map[string]any
	// Raw is the record's JSON object as the file spells it (JSONL and
	// JSON-array files; nil for the others), so a command can write the
	// record back unchanged: key order, numbers, nested values.
	Raw    []byte
	names  FieldMap
	prefix string // path of a nested record inside its parent, for errors
}

// sub returns a nested object of r as a record of its own; its errors name
// the full path (spo_list[2].h.pos). The field mapping applies only at the top.
func (r Record) sub(path string, v any) (Record, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Record{}, &RecordError{Pos: r.Pos, Field: r.prefix + path, Err: fmt.Errorf("got %s, want an object", jsonType(v))}
	}
	return Record{Pos: r.Pos, Fields: m, prefix: r.prefix + path + "."}, nil
}

// Has reports whether the (mapped) field is present.
func (r Record) Has(name string) bool {
	_, ok := r.lookup(name)
	return ok
}

// Value returns the raw value of a (mapped) field.
func (r Record) Value(name string) (any, error) {
	v, ok := r.lookup(name)
	if !ok {
		return nil, r.errorf(name, "missing")
	}
	return v, nil
}

// String returns a string field.
func (r Record) String(name string) (string, error) {
	v, err := r.Value(name)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", r.errorf(name, "got %s, want a string", jsonType(v))
	}
	return s, nil
}

// Int returns an integer field. JSON numbers must be whole; strings (CSV
// cells) must parse as base-10 integers.
func (r Record) Int(name string) (int, error) {
	v, err := r.Value(name)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), nil
		}
	case int64: // a Parquet integer beyond float64's exact range
		return int(x), nil
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
		return 0, r.errorf(name, "%q is not an integer", x)
	}
	return 0, r.errorf(name, "got %s %v, want an integer", jsonType(v), v)
}

// Label returns a class label: a string, or an integer (a whole JSON
// number, such as ChnSentiCorp's 0/1) in base 10.
func (r Record) Label(name string) (string, error) {
	v, err := r.Value(name)
	if err != nil {
		return "", err
	}
	got := jsonType(v)
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, int64:
		if n, err := r.Int(name); err == nil {
			return strconv.Itoa(n), nil
		}
		got += fmt.Sprint(" ", x)
	case bool:
		got += fmt.Sprint(" ", x)
	}
	return "", r.errorf(name, "got %s, want a label: a string or an integer", got)
}

// Strings returns a field holding a JSON array of strings.
func (r Record) Strings(name string) ([]string, error) {
	v, err := r.Value(name)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, r.errorf(name, "got %s, want an array of strings", jsonType(v))
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, r.errorf(fmt.Sprintf("%s[%d]", name, i), "got %s, want a string", jsonType(x))
		}
		out[i] = s
	}
	return out, nil
}

// errorf builds a RecordError for a field, naming the file's spelling too
// when the mapping renamed it, since that is the name the user must fix.
func (r Record) errorf(name, format string, args ...any) error {
	e := &RecordError{Pos: r.Pos, Field: r.prefix + name, Err: fmt.Errorf(format, args...)}
	if src := r.names.source(name); src != name {
		e.Source = src
	}
	return e
}

// lookup resolves the mapped name and walks dotted paths into nested objects.
func (r Record) lookup(name string) (any, bool) {
	src := r.names.source(name)
	if v, ok := r.Fields[src]; ok {
		return v, true
	}
	var cur any = r.Fields
	for part := range strings.SplitSeq(src, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// jsonType names a decoded value's JSON type for error messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, int64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
