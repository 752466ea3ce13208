package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// readArrow streams the rows of an Arrow IPC file (the stream format HF
// datasets writes its cache and save_to_disk shards in, or the file
// format) or of a Dataset.save_to_disk directory, shard after shard.
// Cells become what the Parquet reader makes of the same values
// (jsonValue), so a row reads as the JSONL line of what ds[i] gives
// back. Records are located by shard and row: data-00000-of-00002.arrow:row 3.
func readArrow(path string, emit emitFunc) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return readArrowFile(path, nil, emit)
	}
	ds, err := openSavedDataset(path)
	if err != nil {
		return err
	}
	for _, f := range ds.files {
		if err := readArrowFile(f, ds.columns, emit); err != nil {
			return err
		}
	}
	return nil
}

// savedDataset is what load_from_disk reads of a save_to_disk directory.
type savedDataset struct {
	files   []string        // the shards, in order
	columns map[string]bool // the columns set_format kept; nil for all
}

// The names datasets gives a saved dataset's files (datasets.config).
const (
	datasetStateFile = "state.json"
	datasetDictFile  = "dataset_dict.json"
)

// openSavedDataset reads the state.json of a Dataset.save_to_disk
// directory. A DatasetDict directory is refused naming its splits: which
// one a file argument means cannot be guessed (train for --train-file
// would be wrong for --validation-file), and DIR/train is itself a dataset
// directory, as load_from_disk(DIR)["train"] reads it.
func openSavedDataset(dir string) (savedDataset, error) {
	if b, err := os.ReadFile(filepath.Join(dir, datasetDictFile)); err == nil {
		var dd struct {
			Splits []string `json:"splits"`
		}
		if err := json.Unmarshal(b, &dd); err != nil {
			return savedDataset{}, fmt.Errorf("%s: %w", filepath.Join(dir, datasetDictFile), err)
		}
		if len(dd.Splits) == 0 {
			return savedDataset{}, fmt.Errorf("%s: a DatasetDict with no splits", dir)
		}
		return savedDataset{}, fmt.Errorf("%s: a DatasetDict.save_to_disk directory (splits %s): give one split's directory, e.g. %s",
			dir, strings.Join(dd.Splits, ", "), filepath.Join(dir, dd.Splits[0]))
	}
	statePath := filepath.Join(dir, datasetStateFile)
	b, err := os.ReadFile(statePath)
	if errors.Is(err, os.ErrNotExist) {
		return savedDataset{}, fmt.Errorf("%s: a directory, and not one Dataset.save_to_disk wrote (no %s or %s)", dir, datasetStateFile, datasetDictFile)
	}
	if err != nil {
		return savedDataset{}, err
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(b, &state); err != nil {
		return savedDataset{}, fmt.Errorf("%s: %w", statePath, err)
	}
	// An indices mapping (a select or shuffle not yet flattened) saved
	// beside the data, as older datasets versions could, would reorder the
	// rows; datasets 2 and 3 flatten it when saving, so it is refused.
	for k, v := range state {
		if strings.HasPrefix(k, "_indices") && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) && len(bytes.TrimSpace(v)) > 2 {
			return savedDataset{}, fmt.Errorf("%s: %q: the dataset was saved with an indices mapping, which is not read; save it again after ds = ds.flatten_indices()", statePath, k)
		}
	}
	var st struct {
		DataFiles []struct {
			Filename string `json:"filename"`
		} `json:"_data_files"`
		FormatColumns    []string `json:"_format_columns"`
		OutputAllColumns bool     `json:"_output_all_columns"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return savedDataset{}, fmt.Errorf("%s: %w", statePath, err)
	}
	if len(st.DataFiles) == 0 {
		return savedDataset{}, fmt.Errorf("%s: _data_files lists no files", statePath)
	}
	var ds savedDataset
	for _, f := range st.DataFiles {
		if f.Filename == "" || filepath.IsAbs(f.Filename) || strings.Contains(filepath.ToSlash(f.Filename), "../") {
			return savedDataset{}, fmt.Errorf("%s: _data_files: bad file name %q", statePath, f.Filename)
		}
		ds.files = append(ds.files, filepath.Join(dir, f.Filename))
	}
	// ds.set_format(columns=[...]) then save_to_disk: load_from_disk gives
	// only those columns, unless output_all_columns was set.
	if st.FormatColumns != nil && !st.OutputAllColumns {
		ds.columns = make(map[string]bool, len(st.FormatColumns))
		for _, c := range st.FormatColumns {
			ds.columns[c] = true
		}
	}
	return ds, nil
}

// arrowMagic opens an Arrow IPC file in the file (random access) format;
// the stream format datasets writes starts with a message instead.
var arrowMagic = []byte("ARROW1")

// batchReader is what the stream and file readers share.
type batchReader interface {
	Schema() *arrow.Schema
	Read() (arrow.RecordBatch, error)
}

// readArrowFile streams the rows of one Arrow IPC file, keeping the
// columns in keep (all when nil).
func readArrowFile(path string, keep map[string]bool, emit emitFunc) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// A corrupt file must be an error, whatever the decoder does with it.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: corrupt Arrow file: %v", path, p)
		}
	}()
	var r batchReader
	br := bufio.NewReader(f)
	if head, _ := br.Peek(len(arrowMagic)); bytes.Equal(head, arrowMagic) {
		fr, err := ipc.NewFileReader(f)
		if err != nil {
			return fmt.Errorf("%s: not an Arrow IPC file: %w", path, err)
		}
		defer fr.Close()
		r = fr
	} else {
		sr, err := ipc.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: not an Arrow IPC stream: %w", path, err)
		}
		defer sr.Release()
		r = sr
	}
	schema := r.Schema()
	for _, fd := range schema.Fields() {
		if err := arrowSupported(fd.Type); err != nil {
			return fmt.Errorf("%s: column %q: %w", path, fd.Name, err)
		}
	}
	for row := 0; ; {
		rec, rerr := r.Read()
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("%s: after row %d: %w", path, row, rerr)
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			row++
			pos := Pos{File: path, Path: fmt.Sprintf("row %d", row)}
			fields := make(map[string]any, rec.NumCols())
			for c, col := range rec.Columns() {
				name := schema.Field(c).Name
				if keep == nil || keep[name] {
					fields[name] = jsonValue(arrowValue(col, i))
				}
			}
			var bad error
			if err := checkStrings(fields); err != nil {
				bad = &RecordError{Pos: pos, Err: err}
			}
			if err := emit(Record{Pos: pos, Fields: fields}, bad); err != nil {
				return err
			}
		}
	}
}

// arrowSupported checks that a column holds what datasets writes for text
// data: strings, numbers, booleans, nulls, and lists and structs of them.
func arrowSupported(dt arrow.DataType) error {
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType,
		*arrow.BinaryType, *arrow.LargeBinaryType,
		*arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type,
		*arrow.BooleanType, *arrow.NullType:
		return nil
	case *arrow.ListType, *arrow.LargeListType, *arrow.FixedSizeListType:
		return arrowSupported(t.(arrow.ListLikeType).Elem())
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if err := arrowSupported(f.Type); err != nil {
				return fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("type %s is not read (text data comes as strings, numbers, booleans, and lists and structs of them)", dt)
}

// arrowValue returns row i of a column checked by arrowSupported as the Go
// value parquet-go decodes the same Parquet cell to, for jsonValue.
func arrowValue(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	case *array.Binary:
		return a.Value(i)
	case *array.LargeBinary:
		return a.Value(i)
	case *array.Int8:
		return int32(a.Value(i))
	case *array.Int16:
		return int32(a.Value(i))
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return uint32(a.Value(i))
	case *array.Uint16:
		return uint32(a.Value(i))
	case *array.Uint32:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Float16:
		return a.Value(i).Float32()
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := make(map[string]any, a.NumField())
		for f := 0; f < a.NumField(); f++ {
			out[st.Field(f).Name] = arrowValue(a.Field(f), i)
		}
		return out
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		vals := a.ListValues()
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, arrowValue(vals, int(j)))
		}
		return out
	}
	return nil // *array.Null
}
