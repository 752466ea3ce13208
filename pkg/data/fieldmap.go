package data

import (
	"fmt"
	"strings"
)

// FieldMap renames fields: the key is the name a task builder asks for, the
// value is the file's name for it, possibly a dotted path into nested objects
// ("content" → "doc.abstract"). Names absent from the map are used as they are.
type FieldMap map[string]string

// ParseFieldMap parses --field flags of the form want=have, e.g.
// "content=text" lets a summarization builder read the file's "text" field
// as its "content".
func ParseFieldMap(specs []string) (FieldMap, error) {
	m := FieldMap{}
	for _, s := range specs {
		want, have, ok := strings.Cut(s, "=")
		want, have = strings.TrimSpace(want), strings.TrimSpace(have)
		if !ok || want == "" || have == "" {
			return nil, fmt.Errorf("field mapping %q: want name=file_field", s)
		}
		if _, dup := m[want]; dup {
			return nil, fmt.Errorf("field mapping %q: %q mapped twice", s, want)
		}
		m[want] = have
	}
	return m, nil
}

func (m FieldMap) source(name string) string {
	if src, ok := m[name]; ok {
		return src
	}
	return name
}
