package data

import (
	"fmt"
	"strings"
)

// keyed is a record with the value of its grouping field.
type keyed struct {
	Record
	key string
}

func (k keyed) GroupKey() string { return k.key }

// SplitRecords reads every record of path and splits them with Split. With
// groupBy set, records sharing that field's value stay on one side (CMRC's
// article_id keeps an article's questions together); a record lacking the
// field is an error naming it. The records keep the file's field names.
func SplitRecords(path string, opt Options, groupBy string, so SplitOptions) (train, test []Record, err error) {
	var xs []keyed
	if _, err := Read(path, opt, func(r Record) error {
		k := keyed{Record: r}
		if groupBy != "" {
			v, err := r.Value(groupBy)
			if err != nil {
				return err
			}
			k.key = strings.TrimSpace(fmt.Sprint(v))
		}
		xs = append(xs, k)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	tr, te, err := Split(xs, so)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return records(tr), records(te), nil
}

func records(xs []keyed) []Record {
	out := make([]Record, len(xs))
	for i, x := range xs {
		out[i] = x.Record
	}
	return out
}
