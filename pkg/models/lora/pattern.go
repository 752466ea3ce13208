package lora

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Pattern is PEFT's rank_pattern or alpha_pattern: module-name patterns
// mapped to a value, kept in file order because PEFT uses the first key
// that matches.
type Pattern []PatternEntry

// PatternEntry is one key of a Pattern.
type PatternEntry struct {
	Key   string
	Value float64
}

// Get returns the value of key.
func (p Pattern) Get(key string) (float64, bool) {
	for _, e := range p {
		if e.Key == key {
			return e.Value, true
		}
	}
	return 0, false
}

// UnmarshalJSON reads a JSON object (or null) in key order.
func (p *Pattern) UnmarshalJSON(data []byte) error {
	*p = nil
	if isNull(data) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("want an object of module patterns to numbers, got %s", data)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var v float64
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		if _, dup := p.Get(key); dup {
			return fmt.Errorf("key %q appears twice", key)
		}
		*p = append(*p, PatternEntry{key, v})
	}
	return nil
}

// MarshalJSON writes the object in key order.
func (p Pattern) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
