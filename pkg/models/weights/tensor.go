package weights

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// kinds maps safetensors element types to libtorch's.
var kinds = map[safetensors.DType]gotch.DType{
	safetensors.F64: gotch.Double, safetensors.F32: gotch.Float,
	safetensors.F16: gotch.Half, safetensors.BF16: gotch.BFloat16,
	safetensors.I64: gotch.Int64, safetensors.I32: gotch.Int,
	safetensors.I16: gotch.Int16, safetensors.I8: gotch.Int8,
	safetensors.U8: gotch.Uint8, safetensors.Bool: gotch.Bool,
}

// DTypeOf returns the safetensors name of a libtorch element type.
func DTypeOf(k gotch.DType) (safetensors.DType, error) {
	for d, g := range kinds {
		if g == k {
			return d, nil
		}
	}
	return "", fmt.Errorf("element type %v has no safetensors equivalent", k)
}

// fromBytes makes a tensor on dev from raw little-endian data (gotch copies
// in native order; every platform libtorch ships for is little-endian).
func fromBytes(data []byte, dt safetensors.DType, shape []int64, dev gotch.Device) (*tensor.Tensor, error) {
	kind, ok := kinds[dt]
	if !ok {
		return nil, fmt.Errorf("unsupported dtype %q", dt)
	}
	n, err := safetensors.Numel(shape)
	if err != nil {
		return nil, err
	}
	if n == 0 { // at_tensor_of_data cannot take an empty buffer
		return ts.Zeros(shape, kind, dev)
	}
	dims := shape
	if len(dims) == 0 { // a scalar: at_tensor_of_data needs one dimension
		dims = []int64{1}
	}
	t, err := ts.OfDataSize(data, dims, kind)
	if err != nil {
		return nil, err
	}
	if len(shape) == 0 {
		r, err := t.Reshape(shape, false)
		tensor.Free(t)
		if err != nil {
			return nil, err
		}
		t = r
	}
	if dev == gotch.CPU {
		return t, nil
	}
	moved, err := t.To(dev, false)
	tensor.Free(t)
	return moved, err
}

// toBytes returns t's values as contiguous little-endian bytes of type dt
// (converting the element type when it differs) and t's shape.
func toBytes(t *tensor.Tensor, dt safetensors.DType) (data []byte, shape []int64, err error) {
	defer tensor.Recover(&err)
	kind, ok := kinds[dt]
	if !ok {
		return nil, nil, fmt.Errorf("unsupported dtype %q", dt)
	}
	s := tensor.NewScope()
	defer s.Close()
	c := s.T(t.ToDevice(gotch.CPU, kind, false, false, false))
	shape = tensor.Shape(c)
	n, err := safetensors.Numel(shape)
	if err != nil {
		return nil, nil, err
	}
	data = make([]byte, n*dt.Size())
	if n == 0 {
		return data, shape, nil
	}
	lib.AtCopyData(lib.Ctensor(c.Ctensor()), unsafe.Pointer(&data[0]), uint(n), uint(dt.Size()))
	tensor.Check(ts.TorchErr())
	return data, shape, nil
}
