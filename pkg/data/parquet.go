package data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// parquetBatch is how many rows are decoded at a time.
const parquetBatch = 256

// readParquet streams the rows of a Parquet file as records, as HF datasets'
// Dataset.to_parquet (pyarrow) writes them: string, integer, float and
// boolean columns, lists of them, and lists of structs such as a
// conversation's messages ([{"role","content"}, ...]). Values are converted
// to what encoding/json would give for the same row (see jsonValue), so every
// task builder reads a Parquet row exactly as the JSONL line it came from. A
// null cell (datasets fills a column a row lacks with None) reads as a
// JSON null. Records are located by row, file.parquet:row 3 (1-based).
func readParquet(path string, emit emitFunc) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// parquet-go panics on some corrupt inputs; a bad file must be an error.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: corrupt Parquet file: %v", path, p)
		}
	}()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r := parquet.NewGenericReader[any](pf)
	defer r.Close()
	rows := make([]any, parquetBatch)
	for row := 0; ; {
		n, rerr := r.Read(rows)
		for _, v := range rows[:n] {
			row++
			pos := Pos{File: path, Path: fmt.Sprintf("row %d", row)}
			var bad error
			fields, ok := jsonValue(v).(map[string]any)
			if !ok {
				bad = &RecordError{Pos: pos, Err: fmt.Errorf("row is %T, want a group of columns", v)}
			} else if bad = checkStrings(fields); bad != nil {
				bad = &RecordError{Pos: pos, Err: bad}
			}
			if err := emit(Record{Pos: pos, Fields: fields}, bad); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("%s: row %d: %w", path, row+1, rerr)
		}
	}
}

// jsonValue converts a decoded Parquet value to the types encoding/json
// produces: integers and floats become float64 (integers beyond 2^53 stay
// int64, which Record.Int reads exactly), BYTE_ARRAY columns without a
// STRING annotation become strings, and lists and structs become []any and
// map[string]any.
func jsonValue(v any) any {
	switch x := v.(type) {
	case int64:
		return intValue(x)
	case int32:
		return float64(x)
	case int:
		return intValue(int64(x))
	case uint64:
		if x > math.MaxInt64 {
			return float64(x)
		}
		return intValue(int64(x))
	case uint32:
		return float64(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	}
	return v
}

func intValue(x int64) any {
	if x > -1<<53 && x < 1<<53 {
		return float64(x)
	}
	return x
}

// checkStrings rejects invalid UTF-8 anywhere in a row, as the text readers
// do: a BYTE_ARRAY column may hold anything.
func checkStrings(v any) error {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return errors.New("invalid UTF-8 in a string column")
		}
	case []any:
		for _, e := range x {
			if err := checkStrings(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range x {
			if err := checkStrings(e); err != nil {
				return fmt.Errorf("column %q: %w", k, err)
			}
		}
	}
	return nil
}
