package data

import (
	"errors"

	"gopkg.in/yaml.v3"
)

// ReadFiles reads several files of one data set (a repeated --data flag, or
// the shards of an HF datasets export) with read, the reader of one file
// (ReadSFT, ReadPreference, Summarization, ...), and concatenates the
// results in the order given. Errors come from read and so name their file
// and line; the first one stops the read. The Stats add up the files'.
func ReadFiles[T any](paths []string, opt Options, read func(path string, opt Options) ([]T, Stats, error)) ([]T, Stats, error) {
	if len(paths) == 0 {
		return nil, Stats{}, errors.New("no data files given")
	}
	var out []T
	var total Stats
	for _, p := range paths {
		xs, st, err := read(p, opt)
		total.add(st)
		if err != nil {
			return nil, total, err
		}
		out = append(out, xs...)
	}
	return out, total, nil
}

// add accumulates another read's counts, keeping the first few reasons.
func (s *Stats) add(o Stats) {
	s.Records += o.Records
	s.Skipped += o.Skipped
	for _, r := range o.Reasons {
		if len(s.Reasons) < maxReasons {
			s.Reasons = append(s.Reasons, r)
		}
	}
}

// Files is a data set's file list as a config holds it: YAML takes one
// path or a list, a flag may be repeated.
type Files []string

// UnmarshalYAML accepts a single path as well as a list.
func (f *Files) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var s string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*f = Files{s}
		return nil
	}
	var xs []string
	if err := n.Decode(&xs); err != nil {
		return err
	}
	*f = xs
	return nil
}
