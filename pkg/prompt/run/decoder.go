package run

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// NewDecoder returns a runner that scores label words by their
// log-likelihood after the prompt under GPT2LMHeadModel (the "LM
// prompting" of GPT-3-style classification). The runner owns store.
func NewDecoder(m *gpt2.Model, store *nn.Store) *Runner {
	return &Runner{f: &decoder{m: m}, store: store}
}

type decoder struct{ m *gpt2.Model }

func (f *decoder) kind() prompt.Kind { return prompt.Prefix }
func (f *decoder) maxLen() int       { return int(f.m.Config.NPositions) }
func (f *decoder) config() (any, string, string) {
	return &f.m.Config, "gpt2", "GPT2LMHeadModel"
}

// check needs a prefix rendering: the slot starts right after the ids.
func (f *decoder) check(r *prompt.Rendered, slot int, words prompt.WordIDs) error {
	return checkPrefix(r, slot, words, f.maxLen())
}

// checkPrefix is the decoder families' shared check: a non-empty prompt
// rendered from a prefix template, with room for the longest label word.
func checkPrefix(r *prompt.Rendered, slot int, words prompt.WordIDs, maxLen int) error {
	m := r.Masks[slot]
	if len(m) == 0 || m[0] != len(r.IDs) {
		return fmt.Errorf("mask slot %d lies inside the prompt: it was rendered from a cloze template, this model needs a prefix template", slot)
	}
	if len(r.IDs) == 0 {
		return fmt.Errorf("the prompt is empty: nothing to condition the label words on")
	}
	longest := 0
	for _, w := range flatWords(words) {
		longest = max(longest, len(w))
	}
	if n := len(r.IDs) + longest; n > maxLen {
		return fmt.Errorf("prompt of %d tokens plus a %d-token label word exceeds the model's %d positions (mark a field |trunc, with a max length of at most %d)", len(r.IDs), longest, maxLen, maxLen)
	}
	return nil
}

// tokenLogProbs runs one row per (prompt, label word): the prompt with the
// word appended; token j of the word is scored by the logits at position
// len(prompt)+j-1 (teacher forcing).
func (f *decoder) tokenLogProbs(rs []*prompt.Rendered, slot int, words prompt.WordIDs, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	ws := flatWords(words)
	lay := layout(words)
	rows := make([][]int64, 0, len(rs)*len(ws))
	picks := make([]pick, 0, len(rs)*len(lay))
	for b, r := range rs {
		for _, w := range ws {
			rows = append(rows, append(append([]int64{}, r.IDs...), w...))
		}
		for _, t := range lay {
			picks = append(picks, pick{Row: b*len(ws) + t.WordIndex, Pos: len(r.IDs) + t.Tok - 1, Tok: t.ID})
		}
	}
	ids, _, mask := padRight(rows, nil, 0).tensors(s, deviceOf(f.m.WTE.Weight))
	out, err := f.m.Forward(gpt2.Input{IDs: ids, Mask: mask, SkipLogits: true}, train)
	tensor.Check(err)
	defer out.Close()
	lp := s.Add(gatherLogProbs(out.Hidden, picks, f.m.LM.Forward))                  // [B·K]
	return s.Keep(s.T(lp.Reshape([]int64{int64(len(rs)), int64(len(lay))}, false))) // [B, K]
}
