package data

import (
	"fmt"
	"slices"
	"strings"
)

// Conversational fields: TRL's datasets give prompt, completion, chosen,
// rejected and messages either as plain strings or as lists of
// {"role","content"} turns, which the chat template turns into text.

// present reports whether a (mapped) field is there and not null: HF
// datasets fill a column that a row lacks with None, so in a Parquet export
// a null cell means "absent".
func present(r Record, name string) bool {
	v, ok := r.lookup(name)
	return ok && v != nil
}

// isConversation reports whether a field holds a list (of turns) rather
// than a string; the list is checked by messages.
func isConversation(r Record, name string) bool {
	v, _ := r.lookup(name)
	_, ok := v.([]any)
	return ok
}

// messages reads a field holding [{"role","content"}, ...]; at least one
// turn, each with string role and content. Other keys of a turn are ignored.
func messages(r Record, name string) ([]Message, error) {
	v, err := r.Value(name)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, r.errorf(name, "got %s, want a list of {\"role\", \"content\"} messages", jsonType(v))
	}
	if len(list) == 0 {
		return nil, r.errorf(name, "no messages")
	}
	out := make([]Message, len(list))
	for i, item := range list {
		m, err := r.sub(fmt.Sprintf("%s[%d]", r.names.source(name), i), item)
		if err != nil {
			return nil, err
		}
		if out[i].Role, err = m.String("role"); err != nil {
			return nil, err
		}
		if out[i].Content, err = m.String("content"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lastTurn splits a conversation before its final turn, which must be the
// assistant's: the turns before it are the prompt, that turn the completion.
func lastTurn(r Record, name string, msgs []Message) (prompt, completion []Message, err error) {
	last := msgs[len(msgs)-1]
	if last.Role != "assistant" {
		return nil, nil, r.errorf(name, "the last message has role %q, want \"assistant\" (the turn to learn)", last.Role)
	}
	return msgs[:len(msgs)-1], msgs[len(msgs)-1:], nil
}

// render renders prompt and completion turns through opt's chat template;
// a template error is the record's.
func render(r Record, name string, opt Options, prompt, completion []Message) (string, string, error) {
	chat, err := opt.chat()
	if err != nil {
		return "", "", err
	}
	p, c, err := chat.Split(prompt, completion)
	if err != nil {
		return "", "", r.errorf(name, "%w", err)
	}
	return p, c, nil
}

// sharedTurns is TRL's extract_prompt for conversations: the turns chosen and
// rejected share from the start are the prompt. As in TRL, when one list is
// a prefix of the other the scan stops one turn short, so both keep their
// last shared turn (identical lists give prompt = all but the last turn).
func sharedTurns(chosen, rejected []Message) int {
	n := min(len(chosen), len(rejected))
	for i := range n {
		if chosen[i] != rejected[i] {
			return i
		}
	}
	return n - 1
}

// sharedText is TRL's extract_prompt for strings (TRL 0.12 and later): the
// characters chosen and rejected share from the start are the prompt, less a
// space just before the first difference, which stays with the answers. As
// for turns, a string that is a prefix of the other leaves its last
// character to the answers. Counting is in characters (runes), as Python
// indexes str, so a multi-byte character is never cut.
func sharedText(chosen, rejected string) int {
	c, r := []rune(chosen), []rune(rejected)
	n := min(len(c), len(r))
	i := 0
	for ; i < n; i++ {
		if c[i] != r[i] {
			if i > 0 && c[i-1] == ' ' { // TRL also looks at c[-1] when i == 0: a Python wrap-around, not copied
				i--
			}
			return len(string(c[:i]))
		}
	}
	if n == 0 {
		return 0
	}
	return len(string(c[:n-1]))
}

// fieldList names a record's fields in the file, sorted, for errors.
func fieldList(r Record) string {
	names := make([]string, 0, len(r.Fields))
	for k, v := range r.Fields {
		if v != nil {
			names = append(names, fmt.Sprintf("%q", k))
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "no fields"
	}
	return "fields " + strings.Join(names, ", ")
}
