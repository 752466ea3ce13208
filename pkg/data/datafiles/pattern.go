// Package datafiles decides which paths a 🤗 datasets data_files pattern
// selects (data_files.resolve_pattern over an fsspec glob), for the files
// of a local directory tree (pkg/data) and of a Hub dataset repository
// (pkg/hub) alike.
package datafiles

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// IsPattern is glob.has_magic: the argument has a wildcard.
func IsPattern(s string) bool { return strings.ContainsAny(s, "*?[") }

// Pattern is one compiled data_files pattern.
type Pattern struct {
	pattern string
	re      *regexp.Regexp
}

// Compile compiles a slash pattern (see patternRegexp); a malformed one
// is an error naming it.
func Compile(pattern string) (*Pattern, error) {
	re, err := patternRegexp(pattern)
	if err != nil {
		return nil, err
	}
	return &Pattern{pattern: pattern, re: re}, nil
}

// Match reports whether the pattern selects the file at slash path p
// (relative to the same root as the pattern): p matches, and
// resolve_pattern does not leave it out (ignored).
func (m *Pattern) Match(p string) bool {
	rel := strings.Trim(p, "/")
	return m.re.MatchString(rel) && !ignored(rel, m.pattern)
}

// patternRegexp translates a slash pattern as fsspec (≥ 2023.12, the glob
// datasets 3.x resolves patterns with) reads it: '*' and '?' stay within
// one path segment, "[...]" is a class ("[!...]" negated), and a whole "**"
// segment spans any number of directories (none included); "**" inside a
// segment is refused, as fsspec refuses it. Leading and trailing slashes
// are dropped: match paths without them.
func patternRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	segs := strings.Split(strings.Trim(pattern, "/"), "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg == "**" {
			if last {
				b.WriteString(".*")
			} else {
				b.WriteString("(?:[^/]+/)*")
			}
			continue
		}
		if strings.Contains(seg, "**") {
			return nil, fmt.Errorf("pattern %q: ** must be a whole path segment (data/**/*.jsonl), as in datasets' data_files", pattern)
		}
		segment(&b, seg)
		if !last {
			b.WriteString("/")
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return re, nil
}

func segment(b *strings.Builder, seg string) {
	for i := 0; i < len(seg); i++ {
		switch ch := seg[i]; ch {
		case '*':
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		case '[':
			end := strings.IndexByte(seg[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := seg[i+1 : i+1+end]
			b.WriteString("[")
			if strings.HasPrefix(class, "!") {
				b.WriteString("^")
				class = class[1:]
			}
			b.WriteString(strings.NewReplacer(`\`, `\\`, "[", `\[`).Replace(class))
			b.WriteString("]")
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
}

// filesToIgnore is data_files.FILES_TO_IGNORE: a dataset directory's
// metadata, never data unless the pattern names the file itself.
var filesToIgnore = []string{"README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip", "dataset_dict.json"}

// ignored reports whether resolve_pattern leaves out p, a match of
// pattern: a metadata file, or a path with more hidden segments (".x") or
// "__" directories (__pycache__) than the pattern spells out
// (_is_unrequested_hidden_file_or_is_inside_unrequested_hidden_dir and
// _is_inside_unrequested_special_dir).
func ignored(p, pattern string) bool {
	p, pattern = strings.Trim(p, "/"), strings.Trim(pattern, "/")
	if base := path.Base(p); base != path.Base(pattern) && slices.Contains(filesToIgnore, base) {
		return true
	}
	count := func(s string, hidden bool) int {
		n := 0
		for _, part := range strings.Split(s, "/") {
			if hidden && strings.HasPrefix(part, ".") && strings.Trim(part, ".") != "" || !hidden && strings.HasPrefix(part, "__") {
				n++
			}
		}
		return n
	}
	return count(p, true) != count(pattern, true) || count(path.Dir(p), false) != count(path.Dir(pattern), false)
}
