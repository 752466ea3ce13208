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
// and special files (datafiles.Pattern); with allowed set, only names one
// of whose suffixes is a data file extension (ALL_ALLOWED_EXTENSIONS).
func resolvePattern(files []string, base, pattern string, allowed bool) ([]string, error) {
	if strings.Contains(pattern, "://") || path.IsAbs(pattern) {
		return nil, fmt.Errorf("data_files pattern %q: only paths inside the repository are read", pattern)
	}
	if base = path.Clean(strings.Trim(base, "/")); base == "." {
		base = ""
	}
	m, err := datafiles.Compile(pattern)
	if err != nil {
		return nil, err
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
		if m.Match(rel) && (!allowed || hasDataExtension(path.Base(rel))) {
			out = append(out, f)
		}
	}
	return out, nil
}
