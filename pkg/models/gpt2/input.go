package gpt2

import (
	"fmt"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
)

// checkInput rejects what libtorch would fail on obscurely (or, for ids
// past the vocabulary, read out of bounds): wrong ranks or shapes, ids
// outside [0, vocab_size), sequences past n_positions.
func (m *Model) checkInput(in Input) error {
	c := m.Config
	if in.IDs == nil {
		return fmt.Errorf("gpt2 forward: input_ids is nil")
	}
	sh, err := in.IDs.Size()
	if err != nil {
		return fmt.Errorf("gpt2 forward: input_ids: %w", err)
	}
	if len(sh) != 2 || sh[1] == 0 {
		return fmt.Errorf("gpt2 forward: input_ids shape %v, want [B, T] with T > 0", sh)
	}
	if k := in.IDs.DType(); k != gotch.Int64 {
		return fmt.Errorf("gpt2 forward: input_ids dtype %v, want int64", k)
	}
	if in.Cache != nil && len(in.Cache.Layers) != int(c.NLayer) {
		return fmt.Errorf("gpt2 forward: cache has %d layers, model %d", len(in.Cache.Layers), c.NLayer)
	}
	past := in.Cache.Len()
	if n := past + sh[1]; n > c.NPositions && in.Positions == nil {
		return fmt.Errorf("gpt2 forward: sequence length %d (%d cached + %d new) exceeds n_positions %d", n, past, sh[1], c.NPositions)
	}
	if err := checkRange("input_ids", in.IDs, c.VocabSize, "vocab_size"); err != nil {
		return err
	}
	if in.TypeIDs != nil {
		if err := sameShape("token_type_ids", in.TypeIDs, sh); err != nil {
			return err
		}
		if err := checkRange("token_type_ids", in.TypeIDs, c.VocabSize, "vocab_size"); err != nil {
			return err
		}
	}
	if in.Labels != nil {
		if err := sameShape("labels", in.Labels, sh); err != nil {
			return err
		}
		if in.SkipLogits {
			return fmt.Errorf("gpt2 forward: labels need logits (SkipLogits is set)")
		}
		if err := checkLabels(in.Labels, c.VocabSize); err != nil {
			return err
		}
	}
	if in.Positions != nil {
		if ps, _ := in.Positions.Size(); len(ps) != 2 || ps[1] != sh[1] || (ps[0] != sh[0] && ps[0] != 1) {
			return fmt.Errorf("gpt2 forward: position_ids shape %v, want [%d %d]", ps, sh[0], sh[1])
		}
		if err := checkRange("position_ids", in.Positions, c.NPositions, "n_positions"); err != nil {
			return err
		}
	}
	if in.Mask != nil {
		if ms, _ := in.Mask.Size(); len(ms) != 2 || ms[0] != sh[0] || ms[1] != past+sh[1] {
			return fmt.Errorf("gpt2 forward: attention_mask shape %v, want [%d %d] (cached + new positions)", ms, sh[0], past+sh[1])
		}
	}
	return nil
}

// checkRange reports the first value of t outside [0, limit) by position.
func checkRange(name string, t *tensor.Tensor, limit int64, limitName string) error {
	v, err := tensor.Int64s(t)
	if err != nil {
		return fmt.Errorf("gpt2 forward: %s: %w", name, err)
	}
	w := tensor.Shape(t)[1]
	for i, x := range v {
		if x < 0 || x >= limit {
			return fmt.Errorf("gpt2 forward: %s[%d][%d] = %d outside [0, %s %d)", name, int64(i)/w, int64(i)%w, x, limitName, limit)
		}
	}
	return nil
}

// checkLabels accepts -100 (ignored) and ids in [0, vocab_size).
func checkLabels(t *tensor.Tensor, vocab int64) error {
	v, err := tensor.Int64s(t)
	if err != nil {
		return fmt.Errorf("gpt2 forward: labels: %w", err)
	}
	w := tensor.Shape(t)[1]
	for i, x := range v {
		if x != layers.IgnoreIndex && (x < 0 || x >= vocab) {
			return fmt.Errorf("gpt2 forward: labels[%d][%d] = %d: want -100 or an id in [0, vocab_size %d)", int64(i)/w, int64(i)%w, x, vocab)
		}
	}
	return nil
}

func sameShape(name string, t *tensor.Tensor, want []int64) error {
	if got, _ := t.Size(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		return fmt.Errorf("gpt2 forward: %s shape %v, want %v (input_ids)", name, got, want)
	}
	return nil
}
