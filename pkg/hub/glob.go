package hub

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// globRegexp translates a data_files pattern as fsspec (≥ 2023.12, the
// glob datasets 3.x resolves patterns with) reads it: '*' and '?' stay
// within one path segment, "[...]" is a class ("[!...]" negated), and a
// whole "**" segment spans any number of directories (none included).
func globRegexp(pattern string) (*regexp.Regexp, error) {
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
		if err := globSegment(&b, seg); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
		if !last {
			b.WriteString("/")
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func globSegment(b *strings.Builder, seg string) error {
	for i := 0; i < len(seg); i++ {
		switch ch := seg[i]; ch {
		case '*':
			// a "**" inside a segment is a plain '*'
			for i+1 < len(seg) && seg[i+1] == '*' {
				i++
			}
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
	return nil
}

// hasMagic is glob.has_magic: the pattern has a wildcard.
func hasMagic(pattern string) bool { return strings.ContainsAny(pattern, "*?[") }

// ignoredFiles is data_files.FILES_TO_IGNORE: never data unless a
// pattern names the file itself.
var ignoredFiles = []string{"README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip", "dataset_dict.json"}

// unrequested is resolve_pattern's filter: a hidden file or directory
// (".x") or a special directory ("__x") counts only when the pattern
// names as many of them as the path has.
func unrequested(rel, pattern string) bool {
	count := func(parts []string, hidden bool) int {
		n := 0
		for _, p := range parts {
			if hidden && strings.HasPrefix(p, ".") && strings.Trim(p, ".") != "" || !hidden && strings.HasPrefix(p, "__") {
				n++
			}
		}
		return n
	}
	parts, pparts := strings.Split(rel, "/"), strings.Split(strings.Trim(pattern, "/"), "/")
	if count(parts[:len(parts)-1], false) != count(pparts[:len(pparts)-1], false) {
		return true
	}
	return count(parts, true) != count(pparts, true)
}

// resolvePattern is data_files.resolve_pattern over a repository's file
// list: the files under base (a data_dir, or "" for the root) that
// pattern matches, in path order, minus README.md and the like, hidden
// and special files; with allowed set, only names one of whose suffixes
// is a data file extension (ALL_ALLOWED_EXTENSIONS).
func resolvePattern(files []string, base, pattern string, allowed bool) ([]string, error) {
	if strings.Contains(pattern, "://") || path.IsAbs(pattern) {
		return nil, fmt.Errorf("data_files pattern %q: only paths inside the repository are read", pattern)
	}
	re, err := globRegexp(pattern)
	if err != nil {
		return nil, err
	}
	if base = path.Clean(strings.Trim(base, "/")); base == "." {
		base = ""
	}
	var out []string
	for _, f := range files {
		rel := f
		if base != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(f, base+"/"); !ok {
				continue
			}
		}
		name := path.Base(rel)
		if !re.MatchString(rel) || unrequested(rel, pattern) {
			continue
		}
		if name != path.Base(pattern) && contains(ignoredFiles, name) {
			continue
		}
		if allowed && !hasDataExtension(name) {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
