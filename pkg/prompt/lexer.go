package prompt

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// itemKind is the type of a lexical item of the template language.
type itemKind int

const (
	itemText   itemKind = iota // literal text, "{{" and "}}" unescaped
	itemLBrace                 // "{" opening a placeholder
	itemRBrace                 // "}" closing a placeholder
	itemWord                   // a run of characters inside a placeholder other than space and {}:|=
	itemColon                  // ":"
	itemPipe                   // "|"
	itemEq                     // "="
	itemEOF
)

type item struct {
	kind itemKind
	val  string
	pos  Pos
}

// lexer splits template source into items. Outside braces it is in text
// mode; "{" (not doubled) switches to placeholder mode until "}". Spaces
// inside a placeholder separate words and are otherwise ignored.
type lexer struct {
	name  string
	src   string
	off   int // byte offset of the next rune
	pos   Pos // position of the next rune
	items []item
}

func lex(name, src string) ([]item, error) {
	l := &lexer{name: name, src: src, pos: Pos{1, 1}}
	for l.off < len(l.src) {
		if err := l.lexText(); err != nil {
			return nil, err
		}
		if l.off < len(l.src) {
			if err := l.lexPlaceholder(); err != nil {
				return nil, err
			}
		}
	}
	l.items = append(l.items, item{kind: itemEOF, pos: l.pos})
	return l.items, nil
}

func (l *lexer) errorf(p Pos, format string, args ...any) error {
	return &SyntaxError{Name: l.name, Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// peek returns the next rune without consuming it; -1 at the end.
func (l *lexer) peek(ahead int) rune {
	off := l.off
	for range ahead {
		if off >= len(l.src) {
			return -1
		}
		_, w := utf8.DecodeRuneInString(l.src[off:])
		off += w
	}
	if off >= len(l.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(l.src[off:])
	return r
}

func (l *lexer) next() rune {
	r, w := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += w
	if r == '\n' {
		l.pos.Line++
		l.pos.Col = 1
	} else {
		l.pos.Col++
	}
	return r
}

// lexText consumes literal text up to an opening "{" (left unconsumed).
func (l *lexer) lexText() error {
	start := l.pos
	var text []rune
	for l.off < len(l.src) {
		switch r := l.peek(0); {
		case r == '{' && l.peek(1) == '{', r == '}' && l.peek(1) == '}':
			l.next()
			text = append(text, l.next())
		case r == '{':
			l.emitText(text, start)
			return nil
		case r == '}':
			return l.errorf(l.pos, `unexpected "}" outside a placeholder (write "}}" for a literal brace)`)
		default:
			text = append(text, l.next())
		}
	}
	l.emitText(text, start)
	return nil
}

func (l *lexer) emitText(text []rune, start Pos) {
	if len(text) > 0 {
		l.items = append(l.items, item{kind: itemText, val: string(text), pos: start})
	}
}

// lexPlaceholder consumes "{" ... "}".
func (l *lexer) lexPlaceholder() error {
	open := l.pos
	l.next()
	l.items = append(l.items, item{kind: itemLBrace, val: "{", pos: open})
	for l.off < len(l.src) {
		p := l.pos
		switch r := l.peek(0); {
		case r == '}':
			l.next()
			l.items = append(l.items, item{kind: itemRBrace, val: "}", pos: p})
			return nil
		case r == '{':
			return l.errorf(p, `unexpected "{" inside a placeholder (placeholders do not nest; write "{{" outside one for a literal brace)`)
		case r == '\n':
			return l.errorf(open, "unclosed placeholder: line ends before \"}\"")
		case unicode.IsSpace(r):
			l.next()
		case r == ':' || r == '|' || r == '=':
			l.next()
			kind := map[rune]itemKind{':': itemColon, '|': itemPipe, '=': itemEq}[r]
			l.items = append(l.items, item{kind: kind, val: string(r), pos: p})
		default:
			start := l.off
			for l.off < len(l.src) && isWordRune(l.peek(0)) {
				l.next()
			}
			l.items = append(l.items, item{kind: itemWord, val: l.src[start:l.off], pos: p})
		}
	}
	return l.errorf(open, "unclosed placeholder: template ends before \"}\"")
}

func isWordRune(r rune) bool {
	switch r {
	case '{', '}', ':', '|', '=':
		return false
	}
	return !unicode.IsSpace(r)
}
