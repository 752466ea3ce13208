package prompt

import "fmt"

// SyntaxError reports a malformed template with its position, printed in
// the compiler style "name:line:col: message" (column in runes).
type SyntaxError struct {
	Name string // template name; "template" when the template has none
	Pos  Pos
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Pos.Line, e.Pos.Col, e.Msg)
}
