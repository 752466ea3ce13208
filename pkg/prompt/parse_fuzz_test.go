package prompt

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks the template parser on arbitrary source: it never
// panics; a failure is a *SyntaxError whose position lies inside the
// source (so an editor can jump to it); and a template it accepts obeys
// its kind's rules and prints back (String) to source that parses to the
// same parts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"{mask}满意。{text_a|trunc}",
		"{text_a|trunc}总之，{mask}满意。",
		"评论：{text_a|trunc}\n情感：",
		"Review: {text_a|trunc=head} Sentiment: {mask}",
		"{text_a}{sep}{text_b}{soft:3}{mask:2}",
		"{{literal}} {text_a} }} {{ {mask}",
		"{ text_a | trunc = tail }{ mask : 4 }",
		"{mask}{text_a|trunc|trunc}",
		"{txet_a}{mask}",
		"{text_a\n}", "{}", "}", "{", "{{", "{mask:1025}{text_a}", "{9lives}",
		"第一行\n{mask}{text_a", "Review: {text_a}\nSentiment:{mask}\n",
		"\xff{text_a}{mask}", "{text_a}\r\n{mask}",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, src string, mode uint8) {
		kind := Kind(mode % 2)
		var fields []string
		if mode&2 != 0 { // half the inputs name their fields, exercising suggestions
			fields = []string{"text_a", "text_b"}
		}
		tpl, err := Parse("t", src, kind, fields...)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v, want a *SyntaxError", src, err, err)
			}
			checkPos(t, src, se.Pos)
			if !strings.HasPrefix(err.Error(), "t:") {
				t.Fatalf("Parse(%q): error %q does not name the template", src, err)
			}
			return
		}
		checkTemplate(t, src, tpl, fields)
		again, err := Parse("t", tpl.String(), kind, fields...)
		if err != nil {
			t.Fatalf("Parse(%q) printed as %q, which does not parse: %v", src, tpl.String(), err)
		}
		if a, b := stripPos(tpl.Parts), stripPos(again.Parts); !reflect.DeepEqual(a, b) {
			t.Fatalf("Parse(%q) = %+v;\nprinted as %q it parses to %+v", src, a, tpl.String(), b)
		}
	})
}

// checkPos requires p to lie inside src, or just past its end: a line of
// the source and a column at most one past that line's last rune.
func checkPos(t *testing.T, src string, p Pos) {
	t.Helper()
	lines := strings.Split(src, "\n")
	if p.Line < 1 || p.Line > len(lines) {
		t.Fatalf("error position %v: source %q has %d lines", p, src, len(lines))
	}
	if n := utf8.RuneCountInString(lines[p.Line-1]); p.Col < 1 || p.Col > n+1 {
		t.Fatalf("error position %v: line %d of %q has %d runes", p, p.Line, src, n)
	}
}

// checkTemplate checks the rules Parse promises for an accepted template.
func checkTemplate(t *testing.T, src string, tpl *Template, fields []string) {
	t.Helper()
	if len(tpl.Fields()) == 0 {
		t.Fatalf("Parse(%q) accepted a template that reads no field", src)
	}
	seps := 0
	for i, p := range tpl.Parts {
		checkPos(t, src, p.Pos)
		switch p.Kind {
		case Text:
			if p.Text == "" {
				t.Fatalf("Parse(%q): empty text part %d", src, i)
			}
		case Mask, Soft:
			if p.Count < 1 || p.Count > MaxCount {
				t.Fatalf("Parse(%q): part %d has count %d", src, i, p.Count)
			}
		case Sep:
			seps++
		case Field:
			if !isIdent(p.Name) || (len(fields) > 0 && !strings.Contains(strings.Join(fields, " ")+" ", p.Name+" ")) {
				t.Fatalf("Parse(%q): field %q accepted", src, p.Name)
			}
		}
	}
	if seps > 1 {
		t.Fatalf("Parse(%q): %d {sep}s accepted", src, seps)
	}
	switch masks := tpl.Masks(); tpl.Kind {
	case Cloze:
		if masks == 0 {
			t.Fatalf("Parse(%q): cloze template without a mask", src)
		}
	case Prefix:
		if masks != 1 || tpl.Parts[len(tpl.Parts)-1].Kind != Mask {
			t.Fatalf("Parse(%q): prefix template with %d masks, last part %v", src, masks, tpl.Parts[len(tpl.Parts)-1].Kind)
		}
	}
}

func stripPos(parts []Part) []Part {
	out := append([]Part(nil), parts...)
	for i := range out {
		out[i].Pos = Pos{}
	}
	return out
}
