// Package safetensors reads and writes Hugging Face's safetensors format in
// pure Go (no libtorch), so it can be tested and used without cgo.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON, then
// the tensors' raw little-endian bytes. The JSON maps each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// end of the header) plus an optional "__metadata__" string map. As the
// reference implementation (huggingface/safetensors, safetensors/src/
// tensor.rs) does, Open requires the tensors to tile the data section
// exactly: no gap, no overlap, no trailing bytes. The package weights turns
// the bytes into tensors.
package safetensors

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
)

// DType is a safetensors element type name.
type DType string

// The element types gotrl reads and writes.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

var dtypeSizes = map[DType]int64{F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, Bool: 1}

// Size returns the element size in bytes, or 0 for an unknown type.
func (d DType) Size() int64 { return dtypeSizes[d] }

// Float reports whether d is a floating-point type.
func (d DType) Float() bool { return d == F64 || d == F32 || d == F16 || d == BF16 }

func knownDTypes() string {
	names := make([]string, 0, len(dtypeSizes))
	for d := range dtypeSizes {
		names = append(names, string(d))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Info describes one tensor of a file.
type Info struct {
	Name  string
	DType DType
	Shape []int64
	// Begin and End are byte offsets from the start of the data section.
	Begin, End int64
}

// NumBytes is the size of the tensor's data.
func (i Info) NumBytes() int64 { return i.End - i.Begin }

// Numel returns the element count of shape, or an error when a dimension
// is negative or the product overflows int64.
func Numel(shape []int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v: negative dimension", shape)
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("shape %v: too many elements", shape)
		}
		n = int64(lo)
	}
	return n, nil
}

// dataSize is numel × element size, checked for overflow.
func dataSize(shape []int64, dt DType) (int64, error) {
	n, err := Numel(shape)
	if err != nil {
		return 0, err
	}
	size := dt.Size()
	if size == 0 {
		return 0, fmt.Errorf("unknown dtype %q (supported: %s)", dt, knownDTypes())
	}
	if n > math.MaxInt64/size {
		return 0, fmt.Errorf("shape %v: too many bytes", shape)
	}
	return n * size, nil
}
