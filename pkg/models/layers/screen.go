package layers

import "github.com/gotrl/gotrl/internal/tensor"

// Screen returns the argmax screen of the product Forward runs on inputs
// that record no gradient (tensor.Screen: greedy decoding's next tokens
// from an int8 copy of the weight, the ids Forward's logits would give),
// or nil and no error when Forward runs anything else: an adapter, or
// weights packed in a precision other than float32. The screen is right
// for the weights as they are now; build another after a training step or
// Quantize.
func (l *Linear) Screen() (*tensor.Screen, error) {
	h := l.Hook
	switch {
	case h.Plain():
		return tensor.NewScreen(l.Weight, l.Bias, tensor.OutIn)
	case h.Adapter == nil && h.packed.prec == FP32:
		return tensor.NewScreen(h.packed.weight, h.packed.bias, tensor.InOut)
	}
	return nil, nil
}
