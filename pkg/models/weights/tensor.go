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

// newTensor makes a tensor of type dt and shape on dev whose bytes fill
// writes: straight into libtorch's memory, so a checkpoint tensor is read
// from disk with no intermediate Go buffer (gotch's OfDataSize would copy
// it twice). Byte order is native; every platform libtorch ships for is
// little-endian, as safetensors and torch.save files are.
func newTensor(dt safetensors.DType, shape []int64, dev gotch.Device, fill func([]byte) error) (t *tensor.Tensor, err error) {
	kind, ok := kinds[dt]
	if !ok {
		return nil, fmt.Errorf("unsupported dtype %q", dt)
	}
	n, err := safetensors.Numel(shape)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return ts.Zeros(shape, kind, dev)
	}
	s := tensor.NewScope()
	defer s.Close()
	defer tensor.Recover(&err)
	dims := shape
	if len(dims) == 0 { // gotch cannot pass an empty shape: make [1], squeeze below
		dims = []int64{1}
	}
	t = s.T(ts.Empty(dims, kind, gotch.CPU))
	mem := unsafe.Slice((*byte)(lib.AtDataPtr(lib.Ctensor(t.Ctensor()))), n*dt.Size())
	if err := fill(mem); err != nil {
		return nil, err
	}
	if len(shape) == 0 {
		t = s.T(t.Squeeze(false))
	}
	if dev != gotch.CPU {
		t = s.T(t.To(dev, false))
	}
	return s.Keep(t), nil
}

// toBytes returns t's values as contiguous little-endian bytes of type dt,
// converting the element type when it differs.
func toBytes(t *tensor.Tensor, dt safetensors.DType) (data []byte, err error) {
	defer tensor.Recover(&err)
	kind, ok := kinds[dt]
	if !ok {
		return nil, fmt.Errorf("unsupported dtype %q", dt)
	}
	s := tensor.NewScope()
	defer s.Close()
	c := s.T(t.ToDevice(gotch.CPU, kind, false, false, false))
	n, err := safetensors.Numel(tensor.Shape(c))
	if err != nil {
		return nil, err
	}
	data = make([]byte, n*dt.Size())
	if n > 0 {
		lib.AtCopyData(lib.Ctensor(c.Ctensor()), unsafe.Pointer(&data[0]), uint(n), uint(dt.Size()))
		tensor.Check(ts.TorchErr())
	}
	return data, nil
}
