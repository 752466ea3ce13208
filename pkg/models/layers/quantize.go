package layers

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Quantize packs the weight of every Linear and Conv1D registered in store,
// and of the extra projections given (heads tied to an embedding, which
// the store does not list), for inference in precision p: their Forward
// then runs the packed copy whenever the input records no gradient. Calling
// it again repacks (after a training step changed the weights, as PPO
// rollouts need); None frees the packed copies; Auto picks for the store's device. On error
// no layer is left packed. Counterpart: torch.ao.quantization.quantize_dynamic(model,
// {nn.Linear}, dtype).
//
// FP32 repacks Linear weights only: Conv1D already stores [in, out].
func Quantize(store *nn.Store, p Precision, extra ...*Linear) (err error) {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	p = p.Resolve(store.Device())
	if err := p.runsOn(store.Device()); err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	var targets []projection
	for _, m := range store.Modules() {
		switch l := m.Module.(type) {
		case *Linear:
			targets = append(targets, projection{m.Name, l.Hook, l.Weight, l.Bias, false})
		case *Conv1D:
			targets = append(targets, projection{m.Name, l.Hook, l.Weight, l.Bias, true})
		}
	}
	for i, l := range extra {
		targets = append(targets, projection{fmt.Sprintf("head %d", i), l.Hook, l.Weight, l.Bias, false})
	}
	for _, t := range targets {
		if t.hook == nil {
			return fmt.Errorf("quantize %s: the layer has no Hook to hold packed weights", t.name)
		}
		t.hook.unpack()
	}
	for _, t := range targets {
		if err = t.pack(p); err != nil {
			for _, t := range targets {
				t.hook.unpack()
			}
			return err
		}
	}
	return nil
}

// projection is one layer Quantize packs.
type projection struct {
	name    string
	hook    *Hook
	w, bias *tensor.Tensor
	conv    bool // weight stored [in, out] (GPT-2's Conv1D)
}

func (t projection) pack(p Precision) (err error) {
	if p == None || (p == FP32 && t.conv) {
		return nil
	}
	// Under grad mode each packed copy would hold an autograd graph back
	// to the trainable weight, and the graph keeps its saved intermediates
	// alive: the int8 scales' |w| alone is a float32 copy of every weight
	// (a 12×768 GPT-2 held 750 MB more than packed).
	err = tensor.NoGrad(func() {
		w := t.w
		if t.conv {
			s := tensor.NewScope()
			defer s.Close()
			w = s.T(s.T(w.T(false)).Contiguous(false)) // [in, out] → [out, in]
		}
		t.hook.packed = pack(w, t.bias, p)
	})
	if err != nil {
		return fmt.Errorf("quantize %s to %s: %w", t.name, p, err)
	}
	return nil
}

// unpack frees the packed weights, if any.
func (h *Hook) unpack() {
	h.packed.close()
	h.packed = nil
}
