package safetensors

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzHeader checks the header parser on arbitrary files: no panic and no
// allocation beyond the file (the length prefix is checked first); an
// accepted header lists its tensors sorted by name, each tensor's byte
// range matches its dtype and shape, and the ranges tile the data section
// exactly; and writing the tensors back (EncodeHeader) gives a header that
// parses to the same tensors.
func FuzzHeader(f *testing.F) {
	infos, data := sample()
	head, laid, err := EncodeHeader(infos, map[string]string{"format": "pt"})
	if err != nil {
		f.Fatal(err)
	}
	for _, in := range laid {
		head = append(head, data[in.Name]...)
	}
	f.Add(head)
	for _, js := range []string{
		`{}`, `{"__metadata__": {"format": "pt"}}`, `{"__metadata__": {"n": 1}}`, `[1, 2]`, `{"a": {"dtype": "F32",`,
		`{"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}`,
		`{"a": {"dtype": "BF16", "shape": [0, 4], "data_offsets": [0, 0]}, "b": {"dtype": "I32", "shape": [], "data_offsets": [0, 4]}}`,
		`{"a": {"dtype": "F64", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}`,
		`{"a": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}`,
		`{"a": {"dtype": "BOOL", "shape": [2, 2], "data_offsets": [0, 4], "x": 1}}`,
	} {
		f.Add(corrupt(js, 4))
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		infos, meta, start, err := readHeader(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			return
		}
		dataLen := int64(len(file)) - start
		var end int64
		byBegin := map[int64][]Info{}
		for i, in := range infos {
			if i > 0 && infos[i-1].Name >= in.Name {
				t.Fatalf("tensors not sorted by name: %q before %q", infos[i-1].Name, in.Name)
			}
			if in.Name == metadataKey {
				t.Fatalf("%s listed as a tensor", metadataKey)
			}
			n, err := dataSize(in.Shape, in.DType)
			if err != nil || n != in.NumBytes() || in.Begin < 0 || in.End > dataLen {
				t.Fatalf("tensor %q: %s %v at [%d, %d] of %d bytes (size %d, %v)", in.Name, in.DType, in.Shape, in.Begin, in.End, dataLen, n, err)
			}
			byBegin[in.Begin] = append(byBegin[in.Begin], in)
		}
		// walk the ranges in file order: each starts where the last ended
		for len(byBegin) > 0 {
			next, ok := byBegin[end]
			if !ok {
				t.Fatalf("no tensor starts at byte %d of %d: %+v", end, dataLen, infos)
			}
			delete(byBegin, end)
			for _, in := range next {
				if in.End > in.Begin {
					if end != in.Begin {
						t.Fatalf("tensor %q overlaps another at byte %d", in.Name, in.Begin)
					}
					end = in.End
				}
			}
		}
		if end != dataLen {
			t.Fatalf("tensors cover %d of %d data bytes", end, dataLen)
		}
		if len(infos) == 0 || infos[0].Name == "" {
			return // EncodeHeader refuses an empty name; nothing to write back
		}
		head, laid, err := EncodeHeader(infos, meta)
		if err != nil {
			t.Fatalf("EncodeHeader of a parsed header: %v", err)
		}
		again, meta2, _, err := readHeader(bytes.NewReader(append(head, make([]byte, dataLen)...)), int64(len(head))+dataLen)
		if err != nil {
			t.Fatalf("written header does not parse: %v", err)
		}
		if !reflect.DeepEqual(again, laid) || len(meta2) != len(meta) {
			t.Fatalf("written header parses to %+v (meta %v), want %+v (meta %v)", again, meta2, laid, meta)
		}
	})
}
