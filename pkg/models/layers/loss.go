package layers

import (
	"github.com/gotrl/gotrl/internal/tensor"
)

// IgnoreIndex is the label CrossEntropyLoss skips (PyTorch's and HF's -100).
const IgnoreIndex = -100

// CausalLMLoss is HF's causal-LM loss (GPT2LMHeadModel.forward): the mean
// cross-entropy of logits [B, T, V] at positions 0..T-2 against labels
// [B, T] at 1..T-1, over labels that are not IgnoreIndex. Returns a scalar.
func CausalLMLoss(logits, labels *tensor.Tensor) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	sh := tensor.Shape(logits)                                                             // [B, T, V]
	lg := s.T(s.T(logits.Narrow(1, 0, sh[1]-1, false)).Reshape([]int64{-1, sh[2]}, false)) // [B·(T-1), V]
	lb := s.T(s.T(labels.Narrow(1, 1, sh[1]-1, false)).Reshape([]int64{-1}, false))        // [B·(T-1)]
	loss, _, _, err := tensor.CrossEntropy(lg, lb, IgnoreIndex)
	tensor.Check(err)
	return loss
}
