package prompt

import (
	"fmt"
	"regexp"
	"strings"
)

// An Extractor lists every answer candidate in a text, in order of
// appearance. Extract picks one.
type Extractor func(text string) []string

// Extract picks the answer of a model completion: the first candidate
// after the last occurrence of any trigger ("The answer is"), so a
// rationale's intermediate numbers are skipped; when no trigger occurs or
// nothing follows it, the last candidate of the whole text (the convention
// of Wei et al. 2022 and Kojima et al. 2022 for GSM8K-style answers).
func Extract(text string, ex Extractor, triggers ...string) (string, bool) {
	cut := -1
	for _, t := range triggers {
		if i := strings.LastIndex(text, t); t != "" && i >= 0 && i+len(t) > cut {
			cut = i + len(t)
		}
	}
	if cut >= 0 {
		if c := ex(text[cut:]); len(c) > 0 {
			return c[0], true
		}
	}
	c := ex(text)
	if len(c) == 0 {
		return "", false
	}
	return c[len(c)-1], true
}

// fullWidth maps full-width digits, letters and signs to ASCII. The
// full-width comma "，" stays: in Chinese it separates clauses, not
// thousands.
var fullWidth = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"－", "-", "−", "-", "．", ".",
	"Ａ", "A", "Ｂ", "B", "Ｃ", "C", "Ｄ", "D", "Ｅ", "E",
	"（", "(", "）", ")",
)

// Numbers lists the numbers in text in canonical form: full-width digits
// read as ASCII, thousands commas removed, trailing decimal zeros dropped
// ("1,234.50" → "1234.5", "３.0" → "3"). A number is an optional "-", then
// digits, or 1–3 digits followed by ",ddd" groups, then an optional "."
// and digits. The "-" counts as a sign only when it does not follow a digit
// or an ASCII letter, so "3-5" and "x-1" yield positive numbers while
// "等于-3" yields -3.
func Numbers(text string) []string {
	b := []byte(fullWidth.Replace(text))
	var out []string
	for i := 0; i < len(b); {
		start := i
		if b[i] == '-' && i+1 < len(b) && isDigit(b[i+1]) {
			i++
		}
		if !isDigit(b[i]) {
			i = start + 1
			continue
		}
		i = scanNumber(b, i)
		if b[start] == '-' && start > 0 && isWordByte(b[start-1]) {
			start++
		}
		out = append(out, canonicalNumber(string(b[start:i])))
	}
	return out
}

// scanNumber returns the end of the unsigned number starting at b[i], a digit.
func scanNumber(b []byte, i int) int {
	j := i
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	if j-i <= 3 { // thousands groups follow a 1–3 digit head only: "1,234,567"
		for j+3 < len(b) && b[j] == ',' && isDigit(b[j+1]) && isDigit(b[j+2]) && isDigit(b[j+3]) && (j+4 == len(b) || !isDigit(b[j+4])) {
			j += 4
		}
	}
	if j+1 < len(b) && b[j] == '.' && isDigit(b[j+1]) {
		j += 2
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isWordByte reports an ASCII letter, digit or "_" (regexp's \w).
func isWordByte(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func canonicalNumber(s string) string {
	s = strings.ReplaceAll(s, ",", "")
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// Options lists the multiple-choice letters A–E standing alone in text
// (not next to an ASCII letter, digit or "_"): "(B)", "答案是C", "选 D", and
// full-width letters too. An "A" followed by a space and a lower-case
// letter is read as the English article and skipped.
func Options(text string) []string {
	b := []byte(fullWidth.Replace(text))
	var out []string
	for i, c := range b {
		if c < 'A' || c > 'E' || i > 0 && isWordByte(b[i-1]) || i+1 < len(b) && isWordByte(b[i+1]) {
			continue
		}
		if c == 'A' && i+2 < len(b) && b[i+1] == ' ' && 'a' <= b[i+2] && b[i+2] <= 'z' {
			continue
		}
		out = append(out, string(c))
	}
	return out
}

// Regexp returns an Extractor yielding the capture group of every match of
// pattern, which must have exactly one capture group.
func Regexp(pattern string) (Extractor, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("answer pattern %q: %w", pattern, err)
	}
	if n := re.NumSubexp(); n != 1 {
		return nil, fmt.Errorf("answer pattern %q has %d capture groups, want exactly 1", pattern, n)
	}
	return func(text string) []string {
		var out []string
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			out = append(out, m[1])
		}
		return out
	}, nil
}
