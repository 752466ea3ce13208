package tensor

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// CausalLMLoss is the mean cross-entropy of logits [B, T, V] at positions
// 0..T-2 against labels [B, T] at 1..T-1, skipping labels equal to
// ignoreIndex (HF's causal-LM loss), as one C++ op with its own backward
// (the gotch patch's ext package). It reads float32 or bfloat16 logits in
// place and works in float32: the shifted copy, the float32 copy autocast
// makes, log_softmax's output and nll's dense gradient (each as large as
// the logits, 170 MB for a batch of 8×256 over a 21k vocabulary) are never
// made. FusedLossApplies says which inputs it takes.
func CausalLMLoss(logits, labels *Tensor, ignoreIndex int64) (*Tensor, error) {
	defer Pin()()
	p := ext.CausalLMLoss(logits.Ctensor(), labels.Ctensor(), ignoreIndex)
	if err := ts.TorchErr(); err != nil {
		if p != nil {
			Free(ts.New(lib.Ctensor(p)))
		}
		return nil, fmt.Errorf("causal LM loss: %w", clean(err))
	}
	return ts.New(lib.Ctensor(p)), nil
}

// FusedLossApplies reports whether CausalLMLoss takes these inputs: 3-D
// float32 or bfloat16 logits on the CPU with int64 labels.
func FusedLossApplies(logits, labels *Tensor) bool {
	d, err := logits.Device()
	if err != nil || d.IsCuda() || logits.Dim() != 3 || labels.DType() != gotch.Int64 {
		return false
	}
	k := logits.DType()
	return k == gotch.Float || k == gotch.BFloat16
}
