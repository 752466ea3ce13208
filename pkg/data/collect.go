package data

// collect reads a file through Read and builds one value per record; a
// RecordError from build is subject to the skip-bad policy like a parse error.
func collect[T any](path string, opt Options, build func(Record) (T, error)) ([]T, Stats, error) {
	var out []T
	st, err := Read(path, opt, func(r Record) error {
		x, err := build(r)
		if err != nil {
			return err
		}
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	return out, st, nil
}

// optionalString returns a string field, or "" when it is absent or null
// (the None a Parquet export holds for a row without it).
func optionalString(r Record, name string) (string, error) {
	if !present(r, name) {
		return "", nil
	}
	return r.String(name)
}
