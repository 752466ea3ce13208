package tensor

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// extFloat reports whether x is what the ext package's kernels take:
// float32 or bfloat16 on the CPU.
func extFloat(x *Tensor) bool {
	if d, err := x.Device(); err != nil || d.IsCuda() {
		return false
	}
	k := x.DType()
	return k == gotch.Float || k == gotch.BFloat16
}

// handle is t's C handle for the gotch patch's calls, nil for a nil t
// (an optional argument).
func handle(t *Tensor) unsafe.Pointer {
	if t == nil {
		return nil
	}
	return t.Ctensor()
}

// adopt takes the handle an op of the gotch patch's ext package returned:
// the tensor, or the pending libtorch error wrapped with op (a handle that
// came back with an error is freed). The caller pins its thread around the
// call, since the error is the calling thread's.
func adopt(op string, p unsafe.Pointer) (*Tensor, error) {
	if err := ts.TorchErr(); err != nil {
		if p != nil {
			Free(ts.New(lib.Ctensor(p)))
		}
		return nil, fmt.Errorf("%s: %w", op, clean(err))
	}
	return ts.New(lib.Ctensor(p)), nil
}

// QuietFbgemm stops libtorch's notices that the fbgemm_* functions behind
// quantized inference are deprecated: libtorch is pinned at 2.1, so they
// ask nothing of the user. libtorch keeps its warning handler per OS
// thread; this installs the filter on the caller's (the thread all
// libtorch work runs on), and every other warning still prints.
func QuietFbgemm() {
	defer Pin()()
	ext.QuietFbgemm()
}
