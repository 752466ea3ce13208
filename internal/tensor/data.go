package tensor

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// FromInt64s makes an int64 tensor of the given shape on dev from row-major data.
func FromInt64s(data []int64, shape []int64, dev gotch.Device) (*Tensor, error) {
	return fromSlice(data, shape, dev)
}

// FromFloat32s makes a float32 tensor of the given shape on dev.
func FromFloat32s(data []float32, shape []int64, dev gotch.Device) (*Tensor, error) {
	return fromSlice(data, shape, dev)
}

// fromSlice copies data into a new tensor with one memcpy on the C side
// (gotch's OfSlice goes through reflection and binary.Write per element).
func fromSlice[E int64 | float32](data []E, shape []int64, dev gotch.Device) (*Tensor, error) {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("tensor from %d values: shape %v holds %d", len(data), shape, n)
	}
	var kind gotch.DType = gotch.Int64
	if _, ok := any(data).([]float32); ok {
		kind = gotch.Float
	}
	if len(data) == 0 {
		return ts.Zeros(shape, kind, dev)
	}
	dims := shape
	if len(dims) == 0 { // at_tensor_of_data needs a dims pointer: make [1], squeeze below
		dims = []int64{1}
	}
	var zero E
	c := lib.AtTensorOfData(unsafe.Pointer(&data[0]), dims, uint(len(dims)), uint(unsafe.Sizeof(zero)), int(kind.CKind()))
	if err := ts.TorchErr(); err != nil {
		return nil, err
	}
	t := ts.New(c)
	if len(shape) == 0 {
		sq, err := t.Squeeze(true)
		if err != nil {
			return nil, err
		}
		t = sq
	}
	if dev == gotch.CPU {
		return t, nil
	}
	return t.To(dev, true)
}

// FromRows stacks equal-length rows into a [len(rows), len(rows[0])] int64
// tensor: the one place batches of ids become tensors.
func FromRows(rows [][]int64, dev gotch.Device) (*Tensor, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("tensor from rows: no rows")
	}
	w := len(rows[0])
	flat := make([]int64, 0, len(rows)*w)
	for i, r := range rows {
		if len(r) != w {
			return nil, fmt.Errorf("tensor from rows: row %d has %d values, row 0 has %d", i, len(r), w)
		}
		flat = append(flat, r...)
	}
	return FromInt64s(flat, []int64{int64(len(rows)), int64(w)}, dev)
}

// Float32s, Float64s and Int64s copy a tensor's values (any dtype, any
// device) into a Go slice, converting as needed.
func Float32s(t *Tensor) ([]float32, error) { return values[float32](t, gotch.Float) }
func Float64s(t *Tensor) ([]float64, error) { return values[float64](t, gotch.Double) }
func Int64s(t *Tensor) ([]int64, error)     { return values[int64](t, gotch.Int64) }

func values[E float32 | float64 | int64](t *Tensor, kind gotch.DType) ([]E, error) {
	// t itself when it is already on the CPU with this dtype (decoding
	// reads a step's logits this way: a copy of them first cost as much as
	// the copy into Go)
	c, err := t.ToDevice(gotch.CPU, kind, false, false, false)
	if err != nil {
		return nil, err
	}
	defer Free(c)
	g, err := c.Contiguous(false)
	if err != nil {
		return nil, err
	}
	defer Free(g)
	out := make([]E, g.Numel())
	if len(out) == 0 {
		return out, nil
	}
	// one memcpy; gotch's CopyData inspects dst through reflection first
	lib.AtCopyData(lib.Ctensor(g.Ctensor()), unsafe.Pointer(&out[0]), uint(len(out)), uint(unsafe.Sizeof(out[0])))
	return out, ts.TorchErr()
}

// ReadRows copies a matrix [N, V] into Go as float32, into buf when it
// has room, and with lse each row's log-sum-exp [N]: a generation step's
// logits. Float32 and bfloat16 CPU rows take one call of the gotch patch
// (the log-sum-exp computed as cross-entropy's, in float32; ATen's
// logsumexp ran five ops and parallel regions for it); anything else takes
// ATen's logsumexp and a copy.
func ReadRows(t *Tensor, buf []float32, withLSE bool) (flat, lse []float32, err error) {
	if t.Dim() != 2 {
		return nil, nil, fmt.Errorf("read rows: want a matrix, got shape %v", Shape(t))
	}
	sh := Shape(t)
	n := int(sh[0] * sh[1])
	if !extFloat(t) || n == 0 { // empty rows: ATen's log-sum-exp of nothing, -inf
		return readRowsATen(t, withLSE)
	}
	if flat = buf; cap(flat) < n {
		flat = make([]float32, n)
	}
	flat = flat[:n]
	if withLSE {
		lse = make([]float32, sh[0])
	}
	defer Pin()() // the error, if any, is the calling thread's
	if !ext.ReadRows(t.Ctensor(), flat, lse) {
		return nil, nil, fmt.Errorf("read rows: %w", clean(ts.TorchErr()))
	}
	return flat, lse, nil
}

// readRowsATen is ReadRows through ATen's ops.
func readRowsATen(t *Tensor, withLSE bool) (flat, lse []float32, err error) {
	if withLSE {
		l, err := t.Logsumexp([]int64{-1}, false, false)
		if err != nil {
			return nil, nil, fmt.Errorf("read rows: logsumexp: %w", err)
		}
		lse, err = Float32s(l)
		Free(l)
		if err != nil {
			return nil, nil, fmt.Errorf("read rows: %w", err)
		}
	}
	if flat, err = Float32s(t); err != nil {
		return nil, nil, fmt.Errorf("read rows: %w", err)
	}
	return flat, lse, nil
}

// Item returns the value of a one-element tensor as float64.
func Item(t *Tensor) (float64, error) {
	v, err := Float64s(t)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("item of a tensor with %d elements", len(v))
	}
	return v[0], nil
}

// Shape returns t's shape, panicking with *Error on failure (forward code).
func Shape(t *Tensor) []int64 {
	// at_shape fills a Go slice directly: gotch's Size goes through a C
	// buffer and encoding/binary, several µs per call on the decoding path
	c := lib.Ctensor(t.Ctensor())
	dim := lib.AtDim(c)
	Check(ts.TorchErr())
	s := make([]int64, dim)
	if dim > 0 {
		lib.AtShape(c, unsafe.Pointer(&s[0]))
		Check(ts.TorchErr())
	}
	return s
}

// CopyInto copies src's values into dst in place (shapes must match;
// dtype and device are converted), without recording gradients.
func CopyInto(dst, src *Tensor) error {
	return NoGrad(func() {
		lib.AtCopy_(lib.Ctensor(dst.Ctensor()), lib.Ctensor(src.Ctensor()))
		Check(ts.TorchErr())
	})
}
