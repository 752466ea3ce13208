package data

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gotrl/gotrl/pkg/data/datafiles"
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
	if _, err := os.Stat(arg); err == nil || !datafiles.IsPattern(arg) {
		return []string{arg}, nil
	}
	pattern := filepath.ToSlash(filepath.Clean(arg))
	m, err := datafiles.Compile(pattern)
	if err != nil {
		return nil, err
	}
	root, segs := globRoot(pattern)
	var files []string
	if err := listFiles(root, len(segs), slices.Contains(segs, "**"), nil, &files); err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	var out []string
	for _, f := range files {
		if m.Match(f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no file matches the pattern", arg)
	}
	sort.Strings(out)
	for i := range out {
		out[i] = filepath.FromSlash(out[i])
	}
	return out, nil
}

// globRoot splits a slash pattern into the directory its literal leading
// segments name and the segments left to match.
func globRoot(pattern string) (string, []string) {
	segs := strings.Split(pattern, "/")
	i := 0
	for i < len(segs)-1 && !datafiles.IsPattern(segs[i]) {
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

// listFiles appends to out the regular files under dir (slash paths
// starting as dir does), following links as fsspec's local glob does:
// files down to left levels below dir, or every level when deep (a "**"
// in the pattern). A directory met again through a link is not read twice.
func listFiles(dir string, left int, deep bool, seen []os.FileInfo, out *[]string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) && seen == nil {
			return nil // a pattern matching nothing says so once, in expand
		}
		return err
	}
	if fi, err := os.Stat(dir); err == nil {
		seen = append(seen, fi)
	}
	for _, e := range entries {
		p := path.Join(filepath.ToSlash(dir), e.Name())
		fi, err := os.Stat(p)
		switch {
		case err != nil: // a dangling link
		case fi.Mode().IsRegular():
			*out = append(*out, p)
		case fi.IsDir() && (deep || left > 1) && !slices.ContainsFunc(seen, func(s os.FileInfo) bool { return os.SameFile(s, fi) }):
			if err := listFiles(p, left-1, deep, seen, out); err != nil {
				return err
			}
		}
	}
	return nil
}
