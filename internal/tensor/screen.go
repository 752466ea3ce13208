package tensor

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch/ext"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Screen finds greedy decoding's next tokens without reading all of an LM
// head's weight. It is an int8 copy of the weight (a quarter of float32's
// bytes) with, for each output, a bound on how far the copy's logit can be
// from the one Linear computes; outputs the bound cannot rule out (a
// handful) are computed as Linear computes them, so the id chosen is the
// one argmax over Linear's logits chooses, bit for bit, the lowest on
// ties. A screen holds the weight it was built from (not a copy of its
// values): it is only right while those values stay as they were
// (decoding builds one per run).
type Screen struct {
	q, scale, coef *Tensor
	w, b           *Tensor // the head's, shared
	layout         WeightLayout
}

// NewScreen builds the screen of the product Linear(x, w, b, layout),
// or returns nil and no error when w is not a contiguous float32 CPU
// weight with finite values, which a screen cannot serve. b may be nil.
func NewScreen(w, b *Tensor, layout WeightLayout) (*Screen, error) {
	defer Pin()() // the error, if any, is the calling thread's
	out, built := ext.ScreenBuild(w.Ctensor(), layout == InOut)
	switch built {
	case 0:
		return nil, nil
	case -1:
		return nil, fmt.Errorf("argmax screen: %w", clean(ts.TorchErr()))
	}
	s := &Screen{q: ts.New(lib.Ctensor(out[0])), scale: ts.New(lib.Ctensor(out[1])), coef: ts.New(lib.Ctensor(out[2])), layout: layout}
	// shallow clones keep the weight's storage alive when its owner frees
	// it (Quantize repacking) before the screen is closed
	var err error
	if s.w, err = w.ShallowClone(); err == nil && b != nil {
		s.b, err = b.ShallowClone()
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("argmax screen: %w", err)
	}
	return s, nil
}

// Argmax returns, for each row of x [..., K], the id of its largest logit
// of Linear(x, w, b, layout) for the screen's weight. ok is false, and
// nothing chosen, when the rows are not ones Linear's few-rows kernels
// take (more than 16, not float32 on the CPU, needing a gradient, inside
// autocast) or not finite; the caller then computes the logits.
func (s *Screen) Argmax(x *Tensor) (ids []int64, ok bool, err error) {
	shape := Shape(x)
	if len(shape) == 0 || shape[len(shape)-1] == 0 || x.Numel() == 0 {
		return nil, false, nil
	}
	ids = make([]int64, int64(x.Numel())/shape[len(shape)-1])
	defer Pin()()
	screen := [3]unsafe.Pointer{s.q.Ctensor(), s.scale.Ctensor(), s.coef.Ctensor()}
	switch ext.ScreenArgmax(x.Ctensor(), s.w.Ctensor(), handle(s.b), s.layout == InOut, screen, ids) {
	case 0:
		return nil, false, nil
	case -1:
		return nil, false, fmt.Errorf("argmax screen: %w", clean(ts.TorchErr()))
	}
	return ids, true, nil
}

// Close frees the screen's tensors.
func (s *Screen) Close() {
	if s != nil {
		Free(s.q, s.scale, s.coef, s.w, s.b)
	}
}
