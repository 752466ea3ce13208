package prompt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Config is a prompt file: templates, one verbalizer and the content-free
// inputs for calibration. It is YAML (JSON works too, as YAML's subset):
//
//	fields: [text_a]            # optional: the only field names allowed
//	templates:
//	  - name: book
//	    kind: cloze             # or prefix
//	    text: "{mask}满意。{text_a|trunc}"
//	verbalizer:
//	  word_agg: mean            # first | mean | max
//	  label_agg: mean           # mean | max
//	  labels:                   # label: label words, in label order
//	    正面: [很, 非常]
//	    负面: [不]
//	content_free: ["N/A"]       # optional
type Config struct {
	Templates   []*Template
	Verbalizer  *Verbalizer
	ContentFree []string
}

type configFile struct {
	Fields      []string        `yaml:"fields"`
	Templates   []templateSpec  `yaml:"templates"`
	Verbalizer  *verbalizerSpec `yaml:"verbalizer"`
	ContentFree []string        `yaml:"content_free"`
}

type templateSpec struct {
	Name, Kind, Text string
	line             int
}

func (t *templateSpec) UnmarshalYAML(n *yaml.Node) error {
	if err := checkKeys(n, "name", "kind", "text"); err != nil {
		return err
	}
	type plain templateSpec
	if err := n.Decode((*plain)(t)); err != nil {
		return err
	}
	t.line = n.Line
	return nil
}

type verbalizerSpec struct {
	WordAgg  string    `yaml:"word_agg"`
	LabelAgg string    `yaml:"label_agg"`
	Labels   yaml.Node `yaml:"labels"`
}

// checkKeys rejects mapping keys outside known, naming the key's line.
func checkKeys(n *yaml.Node, known ...string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping", n.Line)
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		found := false
		for _, s := range known {
			found = found || k.Value == s
		}
		if !found {
			return fmt.Errorf("line %d: unknown key %q (known: %v)", k.Line, k.Value, known)
		}
	}
	return nil
}

// LoadConfig reads a prompt file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig parses a prompt file's contents; name prefixes errors.
func ParseConfig(name string, data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f configFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(f.Templates) == 0 {
		return nil, fmt.Errorf("%s: no templates", name)
	}
	c := &Config{ContentFree: f.ContentFree}
	names := map[string]bool{}
	for i, ts := range f.Templates {
		if ts.Name == "" {
			ts.Name = fmt.Sprintf("templates[%d]", i)
		}
		if names[ts.Name] {
			return nil, fmt.Errorf("%s:%d: duplicate template name %q", name, ts.line, ts.Name)
		}
		names[ts.Name] = true
		kind, err := ParseKind(ts.Kind)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: template %q: %w", name, ts.line, ts.Name, err)
		}
		t, err := Parse(ts.Name, ts.Text, kind, f.Fields...)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, ts.line, err)
		}
		c.Templates = append(c.Templates, t)
	}
	if f.Verbalizer == nil {
		return nil, fmt.Errorf("%s: no verbalizer", name)
	}
	v, err := f.Verbalizer.build()
	if err != nil {
		return nil, fmt.Errorf("%s:%w", name, err)
	}
	c.Verbalizer = v
	return c, nil
}

// build reads the label mapping in file order.
func (s *verbalizerSpec) build() (*Verbalizer, error) {
	n := &s.Labels
	if n.Kind == 0 {
		return nil, fmt.Errorf(" verbalizer: no labels")
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%d: verbalizer: labels must map each label to its label words", n.Line)
	}
	var labels []string
	var words [][]string
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var ws []string
		if err := v.Decode(&ws); err != nil {
			return nil, fmt.Errorf("%d: verbalizer: label %q: want a list of words: %w", v.Line, k.Value, err)
		}
		labels = append(labels, k.Value)
		words = append(words, ws)
	}
	v, err := NewVerbalizer(labels, words, Agg(s.WordAgg), Agg(s.LabelAgg))
	if err != nil {
		return nil, fmt.Errorf("%d: %w", n.Line, err)
	}
	return v, nil
}
