package prompt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// MaxCount bounds N in {mask:N} and {soft:N}.
const MaxCount = 1024

// Parse parses template source of the given kind. name prefixes error
// messages ("template" when empty). When fields are given, only those
// names are accepted as input-field placeholders, so a typo such as
// {txet_a} is an error instead of a field that is always missing.
func Parse(name, src string, kind Kind, fields ...string) (*Template, error) {
	if name == "" {
		name = "template"
	}
	if kind != Cloze && kind != Prefix {
		return nil, fmt.Errorf("%s: unknown template kind %v", name, kind)
	}
	items, err := lex(name, src)
	if err != nil {
		return nil, err
	}
	p := &parser{name: name, items: items, fields: fields}
	t := &Template{Name: name, Kind: kind}
	for p.peek().kind != itemEOF {
		part, err := p.parsePart()
		if err != nil {
			return nil, err
		}
		t.Parts = append(t.Parts, part)
	}
	if err := p.check(t, p.peek().pos); err != nil {
		return nil, err
	}
	return t, nil
}

type parser struct {
	name   string
	items  []item
	i      int
	fields []string
}

func (p *parser) peek() item { return p.items[p.i] }

func (p *parser) next() item {
	it := p.items[p.i]
	if it.kind != itemEOF {
		p.i++
	}
	return it
}

func (p *parser) errorf(pos Pos, format string, args ...any) error {
	return &SyntaxError{Name: p.name, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parsePart() (Part, error) {
	it := p.next()
	if it.kind == itemText {
		return Part{Kind: Text, Text: it.val, Pos: it.pos}, nil
	}
	return p.parsePlaceholder(it.pos) // the lexer emits only text and placeholders at top level
}

// parsePlaceholder parses, after the "{" at open,
//
//	name [":" count] { "|" option ["=" value] } "}"
func (p *parser) parsePlaceholder(open Pos) (Part, error) {
	nameItem := p.next()
	switch {
	case nameItem.kind == itemRBrace:
		return Part{}, p.errorf(open, `empty placeholder "{}" (write "{{}}" for literal braces)`)
	case nameItem.kind != itemWord:
		return Part{}, p.errorf(nameItem.pos, "expected a placeholder name, found %q", nameItem.val)
	case !isIdent(nameItem.val):
		return Part{}, p.errorf(nameItem.pos, "invalid placeholder name %q: want letters, digits and _ , not starting with a digit", nameItem.val)
	}
	part := Part{Kind: Field, Name: nameItem.val, Count: 1, Pos: open}
	switch part.Name {
	case "mask":
		part.Kind = Mask
	case "soft":
		part.Kind = Soft
	case "sep":
		part.Kind = Sep
	default:
		if len(p.fields) > 0 && !slices.Contains(p.fields, part.Name) {
			return Part{}, p.errorf(nameItem.pos, "unknown placeholder %q%s", "{"+part.Name+"}", suggest(part.Name, p.fields))
		}
	}
	if p.peek().kind == itemColon {
		p.next()
		if err := p.parseCount(&part, nameItem); err != nil {
			return Part{}, err
		}
	}
	seen := map[string]bool{}
	for p.peek().kind == itemPipe {
		p.next()
		if err := p.parseOption(&part, seen); err != nil {
			return Part{}, err
		}
	}
	switch end := p.next(); end.kind {
	case itemRBrace:
		return part, nil
	case itemEOF:
		return Part{}, p.errorf(open, "unclosed placeholder")
	default:
		return Part{}, p.errorf(end.pos, "unexpected %q in placeholder {%s}", end.val, part.Name)
	}
}

func (p *parser) parseCount(part *Part, nameItem item) error {
	if part.Kind != Mask && part.Kind != Soft {
		return p.errorf(nameItem.pos, "{%s} takes no count; only {mask:N} and {soft:N} do", part.Name)
	}
	c := p.next()
	if c.kind != itemWord {
		return p.errorf(c.pos, "{%s:N}: expected a count, found %q", part.Name, c.val)
	}
	n, err := strconv.Atoi(c.val)
	if err != nil || n < 1 || n > MaxCount {
		return p.errorf(c.pos, "{%s:N}: count must be an integer from 1 to %d, got %q", part.Name, MaxCount, c.val)
	}
	part.Count = n
	return nil
}

func (p *parser) parseOption(part *Part, seen map[string]bool) error {
	opt := p.next()
	if opt.kind != itemWord {
		return p.errorf(opt.pos, "expected an option after \"|\", found %q", opt.val)
	}
	if part.Kind != Field {
		return p.errorf(opt.pos, "option %q is not allowed on {%s}; options apply to input fields", opt.val, part.Name)
	}
	if opt.val != "trunc" {
		return p.errorf(opt.pos, "unknown option %q on {%s} (known: trunc, trunc=head, trunc=tail)", opt.val, part.Name)
	}
	if seen[opt.val] {
		return p.errorf(opt.pos, "duplicate option %q on {%s}", opt.val, part.Name)
	}
	seen[opt.val] = true
	part.Trunc = TruncTail
	if p.peek().kind != itemEq {
		return nil
	}
	p.next()
	v := p.next()
	switch v.val {
	case "tail":
		part.Trunc = TruncTail
	case "head":
		part.Trunc = TruncHead
	default:
		return p.errorf(v.pos, "unknown truncation side %q on {%s} (want head or tail)", v.val, part.Name)
	}
	return nil
}

// check applies the whole-template rules: not empty, at least one field,
// and the mask rules of the template's kind. end is the position just past
// the source.
func (p *parser) check(t *Template, end Pos) error {
	start := Pos{1, 1}
	if len(t.Parts) == 0 {
		return p.errorf(start, "empty template")
	}
	var masks []Part
	fields, seps := 0, 0
	for _, part := range t.Parts {
		switch part.Kind {
		case Mask:
			masks = append(masks, part)
		case Field:
			fields++
		case Sep:
			if seps++; seps > 1 {
				return p.errorf(part.Pos, "only one {sep} is allowed (type ids are 0 before it and 1 after)")
			}
		}
	}
	if fields == 0 {
		return p.errorf(start, "template reads no input field (such as {text_a})")
	}
	switch t.Kind {
	case Cloze:
		if len(masks) == 0 {
			return p.errorf(start, "cloze template needs at least one {mask}")
		}
	case Prefix:
		if len(masks) > 1 {
			return p.errorf(masks[1].Pos, "prefix template allows one {mask}, at its end; found a second one")
		}
		if len(masks) == 0 {
			t.Parts = append(t.Parts, Part{Kind: Mask, Name: "mask", Count: 1, Pos: end})
		} else if last := t.Parts[len(t.Parts)-1]; last.Kind != Mask {
			if last.Kind == Text && strings.TrimSpace(last.Text) == "" && t.Parts[len(t.Parts)-2].Kind == Mask {
				return p.errorf(last.Pos, "prefix template: only whitespace follows {mask}; remove it (a YAML \"|\" block keeps its final newline, \"|-\" strips it)")
			}
			return p.errorf(masks[0].Pos, "prefix template: {mask} must be the last part, since the label words are appended there")
		}
	}
	return nil
}

func isIdent(s string) bool {
	for i, r := range []rune(s) {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}

// suggest returns ` (did you mean "{x}"?)` for the closest known field
// within two edits, or "".
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return fmt.Sprintf(" (known fields: %v)", known)
	}
	return fmt.Sprintf(" (did you mean %q?)", "{"+best+"}")
}

// editDistance is the Levenshtein distance between a and b in runes, with
// a transposition of adjacent runes counting as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
