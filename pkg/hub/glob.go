package hub

import (
	"fmt"
	"path"
	"strings"

	"github.com/gotrl/gotrl/pkg/data/datafiles"
)

// resolvePattern is data_files.resolve_pattern over a repository's file
// list: the files under base (a data_dir, or "" for the root) that
// pattern matches, in path order, minus README.md and the like, hidden
// and special files (datafiles.Match); with allowed set, only names one
// of whose suffixes is a data file extension (ALL_ALLOWED_EXTENSIONS).
func resolvePattern(files []string, base, pattern string, allowed bool) ([]string, error) {
	if strings.Contains(pattern, "://") || path.IsAbs(pattern) {
		return nil, fmt.Errorf("data_files pattern %q: only paths inside the repository are read", pattern)
	}
	if base = path.Clean(strings.Trim(base, "/")); base == "." {
		base = ""
	}
	var rels, full []string
	for _, f := range files {
		rel := f
		if base != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(f, base+"/"); !ok {
				continue
			}
		}
		rels, full = append(rels, rel), append(full, f)
	}
	matched, err := datafiles.Match(rels, pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, j := 0, 0; i < len(rels) && j < len(matched); i++ {
		if rels[i] != matched[j] {
			continue
		}
		j++
		if !allowed || hasDataExtension(path.Base(rels[i])) {
			out = append(out, full[i])
		}
	}
	return out, nil
}
