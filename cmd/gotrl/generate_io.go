package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/gotrl/gotrl/pkg/data"
)

// promptRecord is one prompt and, for --input, its record as written.
type promptRecord struct {
	Text    string
	Pos     data.Pos // zero for a --prompt flag
	members []member // the input record's fields in file order; nil for --prompt
}

// member is one field of a JSON object with its value's bytes as written,
// so a record passes through generate unchanged (key order, number
// spelling, nested values).
type member struct {
	key   string
	value json.RawMessage
}

// readPrompts collects the --prompt texts, then the records of --input
// (any data file, the prompt in field "prompt" unless --field renames it).
func readPrompts(flags []string, input string, fields []string) ([]promptRecord, error) {
	var recs []promptRecord
	for _, p := range flags {
		recs = append(recs, promptRecord{Text: p})
	}
	if input != "" {
		fm, err := data.ParseFieldMap(fields)
		if err != nil {
			return nil, fmt.Errorf("--field: %w", err)
		}
		_, err = data.Read(input, data.Options{Format: inputFormat(input), Fields: fm}, func(r data.Record) error {
			text, err := withFieldHint(textField)(r, "prompt")
			if err != nil {
				return err
			}
			ms, err := members(r)
			if err != nil {
				return &data.RecordError{Pos: r.Pos, Err: err}
			}
			recs = append(recs, promptRecord{Text: text, Pos: r.Pos, members: ms})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("generate: give --prompt or --input")
	}
	return recs, nil
}

// inputFormat is the format of an --input file of generate or eval: by
// its name, as every reader takes it, and JSONL (what generate writes)
// for a name that does not say (pred.out). A glob pattern is left to the
// reader, which tells each file's format by its own name.
func inputFormat(path string) data.Format {
	if f, err := data.DetectFormat(path); err == nil {
		return f
	}
	if files, err := data.Expand([]string{path}); err == nil && (len(files) != 1 || files[0] != path) {
		return data.FormatAuto
	}
	return data.FormatJSONL
}

// members returns a record's fields in file order, each value as the
// file spells it (already validated by data.Read); a record of a CSV,
// Parquet or SQuAD file, which has no JSON text, gives its fields in name
// order.
func members(r data.Record) ([]member, error) {
	if r.Raw == nil {
		var out []member
		for _, k := range slices.Sorted(maps.Keys(r.Fields)) {
			out = append(out, member{key: k, value: marshal(r.Fields[k])})
		}
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(r.Raw))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var out []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key: k.(string), value: v})
	}
	return out, nil
}

// jsonLine is the output record: the input's fields unchanged (a --prompt
// gets {"prompt"}), then the generated text as "prediction" and its token
// ids as "ids", replacing fields of those names.
func (r promptRecord) jsonLine(prediction string, ids []int64) []byte {
	ms := r.members
	if ms == nil {
		ms = []member{{key: "prompt", value: marshal(r.Text)}}
	}
	if ids == nil {
		ids = []int64{} // [] rather than null
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, m := range ms {
		if m.key == "prediction" || m.key == "ids" {
			continue // replaced below
		}
		b.Write(marshal(m.key))
		b.WriteByte(':')
		b.Write(m.value)
		b.WriteByte(',')
	}
	fmt.Fprintf(&b, "\"prediction\":%s,\"ids\":%s}\n", marshal(prediction), marshal(ids))
	return b.Bytes()
}

// marshal encodes v as JSON without HTML escaping (text stays readable).
func marshal(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings, ids: cannot fail
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
