package heads

import "github.com/gotrl/gotrl/internal/tensor"

// Greedy makes greedy search's choices through an LM head's screen
// (tensor.Screen): the ids argmax over the head's logits gives, without
// reading all of its weight. The screen is made from the head's weights at
// the first Next and kept until Close, so a Greedy serves one decoding
// run: training changes the weights.
type Greedy struct {
	screen *tensor.Screen
	made   bool
}

// Next returns, for each row of x [N, C], the id of its largest logit of
// h.Forward(x), the lowest on ties; or, where the screen cannot choose (a
// head with an adapter or packed in another precision than float32, rows
// it does not take), h.Forward(x) itself and no ids.
func (g *Greedy) Next(h *LM, x *tensor.Tensor) (ids []int64, logits *tensor.Tensor, err error) {
	if !g.made {
		g.made = true
		if g.screen, err = h.Screen(); err != nil {
			return nil, nil, err
		}
	}
	if g.screen != nil {
		ids, ok, err := g.screen.Argmax(x)
		if err != nil || ok {
			return ids, nil, err
		}
	}
	defer tensor.Recover(&err)
	return nil, h.Forward(x), nil
}

// Close frees the screen.
func (g *Greedy) Close() {
	g.screen.Close()
	*g = Greedy{}
}
