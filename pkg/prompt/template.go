package prompt

import (
	"fmt"
	"strings"
)

// Kind says which model family a template is written for.
type Kind int

const (
	// Cloze templates feed an MLM encoder (BERT): the label word is
	// predicted at one or more [MASK] tokens anywhere in the prompt, as in
	// PET and OpenPrompt's ManualTemplate.
	Cloze Kind = iota
	// Prefix templates feed a decoder or encoder-decoder (GPT-2, T5): the
	// label words are appended after the prompt, so a {mask} may appear only
	// once, as the template's last part. A prefix template without {mask}
	// gets an implicit single mask at its end.
	Prefix
)

func (k Kind) String() string {
	switch k {
	case Cloze:
		return "cloze"
	case Prefix:
		return "prefix"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind maps "cloze" and "prefix" to their Kind.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "cloze":
		return Cloze, nil
	case "prefix":
		return Prefix, nil
	}
	return 0, fmt.Errorf("unknown template kind %q (want cloze or prefix)", s)
}

// PartKind is the kind of one piece of a parsed template.
type PartKind int

const (
	Text  PartKind = iota // literal text
	Field                 // {name}: an input field of the example
	Mask                  // {mask} or {mask:N}
	Soft                  // {soft} or {soft:N}: trainable continuous prompt tokens
	Sep                   // {sep}: the tokenizer's separator; later parts get type id 1
)

// Trunc says whether and from which side a field gives way when the
// rendered prompt is longer than the model's maximum length.
type Trunc int

const (
	NoTrunc   Trunc = iota // the field is kept whole
	TruncTail              // {f|trunc} or {f|trunc=tail}: drop tokens from the end
	TruncHead              // {f|trunc=head}: drop tokens from the start
)

// Pos is a position in template source: 1-based line and 1-based column
// counted in runes (not bytes), so a column in Chinese text matches what an
// editor shows.
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Part is one piece of a template.
type Part struct {
	Kind  PartKind
	Text  string // literal text, braces already unescaped (Text)
	Name  string // field name, or mask, soft or sep for those placeholders
	Count int    // number of tokens (Mask, Soft); 1 unless {mask:N}/{soft:N}
	Trunc Trunc  // truncation side (Field)
	Pos   Pos    // where the part starts in the source
}

// Template is a parsed prompt template. Build one with Parse.
type Template struct {
	Name  string
	Kind  Kind
	Parts []Part
}

// Fields returns the names of the input fields the template reads, in
// first-use order.
func (t *Template) Fields() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range t.Parts {
		if p.Kind == Field && !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	return names
}

// Masks returns the number of {mask} placeholders (slots); a {mask:N}
// counts once.
func (t *Template) Masks() int { return t.count(Mask, false) }

// SoftTokens returns the total number of trainable soft tokens.
func (t *Template) SoftTokens() int { return t.count(Soft, true) }

func (t *Template) count(k PartKind, tokens bool) int {
	n := 0
	for _, p := range t.Parts {
		if p.Kind != k {
			continue
		}
		if tokens {
			n += p.Count
		} else {
			n++
		}
	}
	return n
}

// String prints the template back in source syntax; Parse(t.String())
// yields the same parts, positions aside (an implicit prefix mask is
// written out).
func (t *Template) String() string {
	var b strings.Builder
	for _, p := range t.Parts {
		switch p.Kind {
		case Text:
			b.WriteString(strings.NewReplacer("{", "{{", "}", "}}").Replace(p.Text))
		case Field:
			b.WriteString("{" + p.Name)
			switch p.Trunc {
			case TruncTail:
				b.WriteString("|trunc")
			case TruncHead:
				b.WriteString("|trunc=head")
			}
			b.WriteString("}")
		case Mask, Soft:
			name := map[PartKind]string{Mask: "mask", Soft: "soft"}[p.Kind]
			if p.Count == 1 {
				fmt.Fprintf(&b, "{%s}", name)
			} else {
				fmt.Fprintf(&b, "{%s:%d}", name, p.Count)
			}
		case Sep:
			b.WriteString("{sep}")
		}
	}
	return b.String()
}
