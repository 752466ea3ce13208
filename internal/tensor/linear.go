package tensor

import "github.com/sugarme/gotch/ext"

// WeightLayout is how a projection stores its weight.
type WeightLayout int

const (
	OutIn WeightLayout = iota // [out, in], torch.nn.Linear
	InOut                     // [in, out], GPT-2's Conv1D
)

// Linear is x·wᵀ + b (OutIn) or x·w + b (InOut) over x's last dimension;
// b may be nil. Decoding's few rows (at most 16, float32, on the CPU,
// needing no gradient, outside autocast) are multiplied by the gotch
// patch's kernels, which read each weight once where it lies: MKL packs
// the weight first, a second pass over memory that bounds decoding.
// Anything else goes through ATen (at::linear; InOut as HF's Conv1D does,
// addmm on the rows). The two sum in different orders, so results differ
// in the last bits.
func Linear(x, w, b *Tensor, layout WeightLayout) (*Tensor, error) {
	defer Pin()() // the error, if any, is the calling thread's
	return adopt("linear", ext.Linear(x.Ctensor(), w.Ctensor(), handle(b), layout == InOut))
}

// LinearBF16 is x·wᵀ + b, float32 out, for a weight w [out, in] stored
// in bfloat16; b (float32) may be nil. Up to 16 float32 rows that need no
// gradient (decoding) keep float32 activations and sums and read each
// weight once, widening it in registers: half of float32's bytes. More rows
// go to ATen's bfloat16 matmul (oneDNN, AMX where the CPU has it) with x
// and b rounded to bfloat16; an input that records gradients multiplies
// the widened weight through at::linear.
func LinearBF16(x, w, b *Tensor) (*Tensor, error) {
	defer Pin()()
	return adopt("linear (bfloat16 weights)", ext.LinearBF16(x.Ctensor(), w.Ctensor(), handle(b)))
}
