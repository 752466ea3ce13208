package prompt

import (
	"reflect"
	"testing"
)

func TestParseErrors(t *testing.T) {
	fields := []string{"text_a", "text_b"}
	tests := []struct {
		name   string
		src    string
		kind   Kind
		fields []string
		want   string
	}{
		{"empty", "", Cloze, nil, "template:1:1: empty template"},
		{"unclosed", "{mask}满意。{text_a", Cloze, nil, `template:1:10: unclosed placeholder: template ends before "}"`},
		{"unclosed at newline", "{text_a\n}{mask}", Cloze, nil, `template:1:1: unclosed placeholder: line ends before "}"`},
		{"unclosed second line", "第一行\n{mask}{text_a", Cloze, nil, `template:2:7: unclosed placeholder: template ends before "}"`},
		{"stray close", "{mask} } {text_a}", Cloze, nil, `template:1:8: unexpected "}" outside a placeholder (write "}}" for a literal brace)`},
		{"stray close at end", "{mask}{text_a}}", Cloze, nil, `template:1:15: unexpected "}" outside a placeholder (write "}}" for a literal brace)`},
		{"empty placeholder", "{}{mask}{text_a}", Cloze, nil, `template:1:1: empty placeholder "{}" (write "{{}}" for literal braces)`},
		{"nested", "{text_{a}}{mask}", Cloze, nil, `template:1:7: unexpected "{" inside a placeholder (placeholders do not nest; write "{{" outside one for a literal brace)`},
		{"unknown option", "{mask}{text_a|foo}", Cloze, nil, `template:1:15: unknown option "foo" on {text_a} (known: trunc, trunc=head, trunc=tail)`},
		{"soft zero", "{mask}{text_a}{soft:0}", Cloze, nil, `template:1:21: {soft:N}: count must be an integer from 1 to 1024, got "0"`},
		{"soft not a number", "{soft:x}{mask}{text_a}", Cloze, nil, `template:1:7: {soft:N}: count must be an integer from 1 to 1024, got "x"`},
		{"negative mask", "{text_a}{mask:-1}", Cloze, nil, `template:1:15: {mask:N}: count must be an integer from 1 to 1024, got "-1"`},
		{"missing count", "{mask:}{text_a}", Cloze, nil, `template:1:7: {mask:N}: expected a count, found "}"`},
		{"count too large", "{mask:1025}{text_a}", Cloze, nil, `template:1:7: {mask:N}: count must be an integer from 1 to 1024, got "1025"`},
		{"cloze without mask", "{text_a}很好。", Cloze, nil, "template:1:1: cloze template needs at least one {mask}"},
		{"prefix mask not last", "Sentiment: {mask} {text_a}", Prefix, nil, "template:1:12: prefix template: {mask} must be the last part, since the label words are appended there"},
		{"prefix mask then newline", "Review: {text_a}\nSentiment:{mask}\n", Prefix, nil, `template:2:17: prefix template: only whitespace follows {mask}; remove it (a YAML "|" block keeps its final newline, "|-" strips it)`},
		{"prefix two masks", "{text_a}{mask}{mask}", Prefix, nil, "template:1:15: prefix template allows one {mask}, at its end; found a second one"},
		{"duplicate trunc", "{mask}{text_a|trunc|trunc}", Cloze, nil, `template:1:21: duplicate option "trunc" on {text_a}`},
		{"unknown field", "Review: {txet_a} {mask}", Cloze, fields, `template:1:10: unknown placeholder "{txet_a}" (did you mean "{text_a}"?)`},
		{"unknown field no close match", "{mask}满意。{文本甲}", Cloze, fields, `template:1:11: unknown placeholder "{文本甲}" (known fields: [text_a text_b])`},
		{"option on mask", "{mask|trunc}{text_a}", Cloze, nil, `template:1:7: option "trunc" is not allowed on {mask}; options apply to input fields`},
		{"count on field", "{text_a:3}{mask}", Cloze, nil, "template:1:2: {text_a} takes no count; only {mask:N} and {soft:N} do"},
		{"no field", "很{mask}。", Cloze, nil, "template:1:1: template reads no input field (such as {text_a})"},
		{"bad trunc side", "{text_a|trunc=middle}{mask}", Cloze, nil, `template:1:15: unknown truncation side "middle" on {text_a} (want head or tail)`},
		{"bad name", "{9lives}{mask}", Cloze, nil, `template:1:2: invalid placeholder name "9lives": want letters, digits and _ , not starting with a digit`},
		{"two seps", "{text_a}{sep}{text_b}{sep}{mask}", Cloze, nil, "template:1:22: only one {sep} is allowed (type ids are 0 before it and 1 after)"},
		{"empty option", "{text_a|}{mask}", Cloze, nil, `template:1:9: expected an option after "|", found "}"`},
		{"junk after name", "{mask x}{text_a}", Cloze, nil, `template:1:7: unexpected "x" in placeholder {mask}`},
		{"missing name", "{:3}{text_a}", Cloze, nil, `template:1:2: expected a placeholder name, found ":"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse("", tt.src, tt.kind, tt.fields...)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error %q", tt.src, tpl, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.src, err, tt.want)
			}
			if _, ok := err.(*SyntaxError); !ok {
				t.Errorf("error is %T, want *SyntaxError", err)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		kind Kind
		want []Part
	}{
		{"book cloze", "{mask}满意。{text_a|trunc}", Cloze, []Part{
			{Kind: Mask, Name: "mask", Count: 1, Pos: Pos{1, 1}},
			{Kind: Text, Text: "满意。", Pos: Pos{1, 7}},
			{Kind: Field, Name: "text_a", Count: 1, Trunc: TruncTail, Pos: Pos{1, 10}},
		}},
		{"prefix with head truncation", "Review: {text_a|trunc=head} Sentiment: {mask}", Prefix, []Part{
			{Kind: Text, Text: "Review: ", Pos: Pos{1, 1}},
			{Kind: Field, Name: "text_a", Count: 1, Trunc: TruncHead, Pos: Pos{1, 9}},
			{Kind: Text, Text: " Sentiment: ", Pos: Pos{1, 28}},
			{Kind: Mask, Name: "mask", Count: 1, Pos: Pos{1, 40}},
		}},
		{"prefix implicit mask", "Q: {question}\nA:", Prefix, []Part{
			{Kind: Text, Text: "Q: ", Pos: Pos{1, 1}},
			{Kind: Field, Name: "question", Count: 1, Pos: Pos{1, 4}},
			{Kind: Text, Text: "\nA:", Pos: Pos{1, 14}},
			{Kind: Mask, Name: "mask", Count: 1, Pos: Pos{2, 3}},
		}},
		{"escapes, soft, sep, spaces", "{{x}} {soft:3}{ text_a }{sep}{text_b}{mask:2}", Cloze, []Part{
			{Kind: Text, Text: "{x} ", Pos: Pos{1, 1}},
			{Kind: Soft, Name: "soft", Count: 3, Pos: Pos{1, 7}},
			{Kind: Field, Name: "text_a", Count: 1, Pos: Pos{1, 15}},
			{Kind: Sep, Name: "sep", Count: 1, Pos: Pos{1, 25}},
			{Kind: Field, Name: "text_b", Count: 1, Pos: Pos{1, 30}},
			{Kind: Mask, Name: "mask", Count: 2, Pos: Pos{1, 38}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse("t", tt.src, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tpl.Parts, tt.want) {
				t.Errorf("parts\n got %+v\nwant %+v", tpl.Parts, tt.want)
			}
			again, err := Parse("t", tpl.String(), tt.kind)
			if err != nil {
				t.Fatalf("reparse %q: %v", tpl.String(), err)
			}
			if again.String() != tpl.String() {
				t.Errorf("round trip: %q, then %q", tpl.String(), again.String())
			}
		})
	}
}

func TestTemplateCounts(t *testing.T) {
	tpl, err := Parse("t", "{soft:2}{text_a}{mask}{text_b}{soft}{mask:3}{text_a}", Cloze)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tpl.Fields(), []string{"text_a", "text_b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Fields = %v, want %v", got, want)
	}
	if got := tpl.Masks(); got != 2 {
		t.Errorf("Masks = %d, want 2", got)
	}
	if got := tpl.SoftTokens(); got != 3 {
		t.Errorf("SoftTokens = %d, want 3", got)
	}
}
