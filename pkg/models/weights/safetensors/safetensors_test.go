package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sample is a small mix of element types, a scalar and an empty tensor.
func sample() ([]Info, map[string][]byte) {
	infos := []Info{
		{Name: "w", DType: F32, Shape: []int64{2, 3}},
		{Name: "b", DType: F16, Shape: []int64{3}},
		{Name: "ids", DType: I64, Shape: []int64{2}},
		{Name: "mask", DType: Bool, Shape: []int64{1, 3}},
		{Name: "step", DType: I32, Shape: []int64{}},
		{Name: "empty", DType: BF16, Shape: []int64{0, 4}},
	}
	data := map[string][]byte{}
	for i, in := range infos {
		n, _ := dataSize(in.Shape, in.DType)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(17*i + j) // distinct bytes per tensor
		}
		data[in.Name] = b
	}
	return infos, data
}

func writeSample(t *testing.T, path string) []byte {
	t.Helper()
	infos, data := sample()
	err := Write(path, infos, map[string]string{"format": "pt"}, func(in Info) ([]byte, error) { return data[in.Name], nil })
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	raw := writeSample(t, path)
	n := binary.LittleEndian.Uint64(raw)
	if n%8 != 0 || raw[8] != '{' || raw[8+n-1] != ' ' && raw[8+n-1] != '}' {
		t.Errorf("header length %d: want a multiple of 8, JSON padded with spaces", n)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v, want format pt", f.Metadata)
	}
	infos, data := sample()
	var names []string
	for _, in := range f.Infos() {
		names = append(names, in.Name)
	}
	if want := []string{"b", "empty", "ids", "mask", "step", "w"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	for _, want := range infos {
		t.Run(want.Name, func(t *testing.T) {
			got, ok := f.Info(want.Name)
			if !ok || got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) {
				t.Fatalf("info %+v, want %s %v", got, want.DType, want.Shape)
			}
			b, err := f.Data(want.Name)
			if err != nil || !bytes.Equal(b, data[want.Name]) {
				t.Errorf("data %v (%v), want %v", b, err, data[want.Name])
			}
		})
	}
	if _, err := f.Data("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Data(nope) error %v, want one naming the tensor", err)
	}
}

// TestMatchesPython rewrites a checkpoint written by Python's safetensors
// (transformers save_pretrained) and expects the very same bytes: same
// name order, header layout, padding and metadata.
func TestMatchesPython(t *testing.T) {
	src := "../../../../testdata/models/gpt2/model.safetensors"
	f, err := Open(src)
	if err != nil {
		t.Skipf("fixture: %v", err)
	}
	defer f.Close()
	if in, ok := f.Info("transformer.wte.weight"); !ok || in.DType != F32 || !slices.Equal(in.Shape, []int64{512, 32}) {
		t.Errorf("transformer.wte.weight: %+v, want F32 [512 32] (testdata/README.md)", in)
	}
	out := filepath.Join(t.TempDir(), "model.safetensors")
	if err := Write(out, f.Infos(), f.Metadata, func(in Info) ([]byte, error) { return f.Data(in.Name) }); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(src)
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want) {
		t.Errorf("rewritten file differs from Python's (%d vs %d bytes)", len(got), len(want))
	}
}

// corrupt builds a file whose header is js (padded) followed by data.
func corrupt(js string, data int) []byte {
	b := make([]byte, 8, 8+len(js)+data)
	binary.LittleEndian.PutUint64(b, uint64(len(js)))
	b = append(b, js...)
	return append(b, make([]byte, data)...)
}

func TestBadFiles(t *testing.T) {
	valid := writeSample(t, filepath.Join(t.TempDir(), "v.safetensors"))
	hlen := int(binary.LittleEndian.Uint64(valid))
	huge := slices.Clone(valid)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	tests := []struct {
		name string
		file []byte
		want string // in the error, after the file name
	}{
		{"empty", nil, "too short"},
		{"cut in length", valid[:5], "too short"},
		{"cut in header", valid[:8+hlen/2], "exceeds the file size"},
		{"cut after header", valid[:8+hlen], "run past the data section"},
		{"cut in data", valid[:len(valid)-3], "run past the data section"},
		{"trailing bytes", append(slices.Clone(valid), 0), "data section has"},
		{"huge header length", huge, "exceeds the file size"},
		{"bad json", corrupt(`{"a": {"dtype": "F32",`, 0), "not a JSON object"},
		{"not an object", corrupt(`[1, 2]`, 0), "not a JSON object"},
		{"bad metadata", corrupt(`{"__metadata__": {"n": 1}}`, 0), "__metadata__"},
		{"unknown dtype", corrupt(`{"a": {"dtype": "F8", "shape": [1], "data_offsets": [0, 1]}}`, 1), `tensor "a": unknown dtype "F8"`},
		{"unknown field", corrupt(`{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1], "x": 1}}`, 1), `tensor "a"`},
		{"no shape", corrupt(`{"a": {"dtype": "U8", "data_offsets": [0, 1]}}`, 1), `tensor "a": no shape`},
		{"negative dim", corrupt(`{"a": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}}`, 1), `tensor "a": shape [-1]`},
		{"one offset", corrupt(`{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0]}}`, 1), `tensor "a": data_offsets has 1`},
		{"size mismatch", corrupt(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}`, 4), `tensor "a": data_offsets [0, 4] hold 4 bytes, F32 [2] needs 8`},
		{"reversed offsets", corrupt(`{"a": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}`, 4), `tensor "a": bad data_offsets`},
		{"overlap", corrupt(`{"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}`, 4), `tensor "b": data_offsets [2, 4] overlap tensor "a"`},
		{"gap", corrupt(`{"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}`, 4), `tensor "a": data_offsets [2, 4] leave a gap`},
		{"past end", corrupt(`{"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}}`, 4), `tensor "a": data_offsets [0, 8] run past`},
		{"overflow", corrupt(`{"a": {"dtype": "F64", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}`, 8), `tensor "a": shape`},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".safetensors")
			if err := os.WriteFile(path, tt.file, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatalf("Open succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), "read "+path+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want the file name and %q", err, tt.want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	zeros := func(in Info) ([]byte, error) { return make([]byte, in.NumBytes()), nil }
	tests := []struct {
		name    string
		tensors []Info
		data    func(Info) ([]byte, error)
		want    string
	}{
		{"duplicate", []Info{{Name: "a", DType: F32}, {Name: "a", DType: F32}}, zeros, `tensor "a" appears twice`},
		{"reserved", []Info{{Name: "__metadata__", DType: F32}}, zeros, "reserved"},
		{"unknown dtype", []Info{{Name: "a", DType: "Q4"}}, zeros, `tensor "a": unknown dtype`},
		{"short data", []Info{{Name: "a", DType: F32, Shape: []int64{2}}}, func(Info) ([]byte, error) { return make([]byte, 4), nil }, `tensor "a": got 4 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "out.safetensors")
			err := Write(path, tt.tensors, nil, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("failed write left %d file(s) behind", len(left))
			}
		})
	}
}
