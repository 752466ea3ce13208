package data

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Expand turns data file arguments into files, as HF datasets resolves
// data_files (data_files.resolve_pattern over an fsspec glob): a path that
// exists is taken as it is, even when its name holds glob characters; any
// other argument with *, ? or [ is a pattern whose matches come in sorted
// order. In a pattern * and ? stay within one path segment and ** spans any
// number of directories (none included). Like datasets, a match is dropped
// when it is hidden (a segment starting with "."), sits in a directory
// starting with "__" (__pycache__), or is one of the metadata files a
// dataset directory carries (README.md, dataset_info.json, ...), unless the
// pattern spells that part out itself. A pattern matching nothing is an
// error naming it. Every command's data file arguments come through here.
func Expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		files, err := expand(a)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

func expand(arg string) ([]string, error) {
	if _, err := os.Stat(arg); err == nil || !isPattern(arg) {
		return []string{arg}, nil
	}
	pattern := filepath.ToSlash(filepath.Clean(arg))
	for _, seg := range strings.Split(pattern, "/") {
		if strings.Contains(seg, "**") && seg != "**" {
			return nil, fmt.Errorf("%s: ** must be a whole path segment (data/**/*.jsonl), as in datasets' data_files", arg)
		}
	}
	var out []string
	root, segs := globRoot(pattern)
	err := walkGlob(root, segs, func(p string) {
		if !ignored(p, pattern) {
			out = append(out, filepath.FromSlash(p))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no file matches the pattern", arg)
	}
	sort.Strings(out)
	return out, nil
}

func isPattern(s string) bool { return strings.ContainsAny(s, "*?[") }

// globRoot splits a slash pattern into the directory its literal leading
// segments name and the segments left to match.
func globRoot(pattern string) (string, []string) {
	segs := strings.Split(pattern, "/")
	i := 0
	for i < len(segs)-1 && !isPattern(segs[i]) {
		i++
	}
	root := strings.Join(segs[:i], "/")
	switch {
	case i == 0:
		root = "."
	case root == "":
		root = "/" // an absolute pattern
	}
	return root, segs[i:]
}

// walkGlob calls fn with every regular file under dir matching segs.
func walkGlob(dir string, segs []string, fn func(string)) error {
	seg, rest := segs[0], segs[1:]
	if seg == "**" {
		if len(rest) == 0 { // data/** is every file under data
			return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if os.IsNotExist(err) && p == dir {
					return nil
				}
				if err != nil {
					return err
				}
				if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 && isFile(p) {
					fn(filepath.ToSlash(p))
				}
				return nil
			})
		}
		// ** matches no directory, or one more and ** again.
		if err := walkGlob(dir, rest, fn); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil // a pattern matching nothing says so once, in expand
		}
		return err
	}
	for _, e := range entries {
		p := path.Join(filepath.ToSlash(dir), e.Name())
		if seg == "**" {
			if isDir(p) {
				if err := walkGlob(p, segs, fn); err != nil {
					return err
				}
			}
			continue
		}
		ok, err := path.Match(seg, e.Name())
		if err != nil {
			return err
		}
		switch {
		case !ok:
		case len(rest) == 0:
			if isFile(p) {
				fn(p)
			}
		case isDir(p):
			if err := walkGlob(p, rest, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func isDir(p string) bool  { fi, err := os.Stat(p); return err == nil && fi.IsDir() }
func isFile(p string) bool { fi, err := os.Stat(p); return err == nil && fi.Mode().IsRegular() }

// filesToIgnore are the metadata files datasets' resolve_pattern leaves out
// of a match (data_files.FILES_TO_IGNORE) unless the pattern names them.
var filesToIgnore = []string{"README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip", "dataset_dict.json"}

// ignored reports whether datasets leaves out a match of pattern: a
// metadata file, or more hidden segments (".x") or "__" directories in the
// path than in the pattern (data_files._is_unrequested_hidden_file_or_is_
// inside_unrequested_hidden_dir and _is_inside_unrequested_special_dir).
func ignored(p, pattern string) bool {
	base := path.Base(p)
	for _, f := range filesToIgnore {
		if base == f && path.Base(pattern) != f {
			return true
		}
	}
	hidden := func(s string) int {
		n := 0
		for _, part := range strings.Split(s, "/") {
			if strings.HasPrefix(part, ".") && strings.Trim(part, ".") != "" {
				n++
			}
		}
		return n
	}
	special := func(s string) int {
		n := 0
		for _, part := range strings.Split(path.Dir(s), "/") {
			if strings.HasPrefix(part, "__") {
				n++
			}
		}
		return n
	}
	return hidden(p) != hidden(pattern) || special(p) != special(pattern)
}
