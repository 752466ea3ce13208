package run

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// NewMLM returns a cloze runner over a BERT masked LM (PET, the book's
// "{mask}满意。{text_a}" prompt). store holds m's parameters; the runner
// owns it from now on (Close frees it). pad is the tokenizer's [PAD] id.
func NewMLM(m *bert.MaskedLM, store *nn.Store, pad int64) *Runner {
	return &Runner{f: &mlm{m: m, pad: max(pad, 0)}, store: store}
}

// mlm scores label words at [MASK] positions with BertForMaskedLM.
type mlm struct {
	m    *bert.MaskedLM
	pad  int64
	soft *Soft // nil without {soft} tokens
}

func (f *mlm) kind() prompt.Kind { return prompt.Cloze }
func (f *mlm) maxLen() int       { return int(f.m.Bert.Config.MaxTokens()) }
func (f *mlm) config() (any, string, string) {
	c := &f.m.Bert.Config
	return c, c.ModelType, c.Class(bert.ArchMaskedLM)
}

func (f *mlm) check(r *prompt.Rendered, slot int, words prompt.WordIDs) error {
	if len(r.IDs) > f.maxLen() {
		return fmt.Errorf("%d tokens, the model reads at most %d (mark a field |trunc, with a max length of at most %d)", len(r.IDs), f.maxLen(), f.maxLen())
	}
	m := r.Masks[slot]
	if len(m) == 0 || m[len(m)-1] >= len(r.IDs) {
		return fmt.Errorf("mask slot %d lies past the prompt: it was rendered from a prefix template, an MLM needs a cloze template", slot)
	}
	for _, w := range flatWords(words) {
		if len(m) > 1 && len(w) > len(m) {
			return fmt.Errorf("a label word of %d tokens does not fit mask slot %d of %d masks (use {mask:%d} or a single {mask})", len(w), slot, len(m), len(w))
		}
	}
	if n := len(r.SoftPositions); n > 0 && (f.soft == nil || n > f.soft.Len()) {
		return fmt.Errorf("the prompt has %d soft tokens, the runner has %d (see WithSoft)", n, f.soft.Len())
	}
	return nil
}

// maskPos is where token j of a word is scored in a slot: position j of
// a {mask:N} slot, or the one mask of a single-mask slot.
func maskPos(slot []int, j int) int {
	if len(slot) == 1 {
		return slot[0]
	}
	return slot[j]
}

func (f *mlm) tokenLogProbs(rs []*prompt.Rendered, slot int, words prompt.WordIDs, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	rows, types := make([][]int64, len(rs)), make([][]int64, len(rs))
	for i, r := range rs {
		rows[i], types[i] = r.IDs, r.TypeIDs
	}
	ids, typ, mask := padRight(rows, types, f.pad).tensors(s, deviceOf(f.m.Head.Bias))
	in := bert.Input{IDs: ids, TypeIDs: typ, Mask: mask}
	if f.soft != nil {
		in.Embeds = s.Add(f.soft.embed(f.m.Bert.Embeddings.Word, ids, rs)) // [B, T, C]
	}
	out, err := f.m.Bert.Forward(in, train)
	tensor.Check(err)
	defer out.Close()
	lay := layout(words)
	picks := make([]pick, 0, len(rs)*len(lay))
	for b, r := range rs {
		for _, t := range lay {
			picks = append(picks, pick{Row: b, Pos: maskPos(r.Masks[slot], t.Tok), Tok: t.ID})
		}
	}
	lp := s.Add(gatherLogProbs(out.Hidden, picks, f.m.Head.Forward))                // [B·K]
	return s.Keep(s.T(lp.Reshape([]int64{int64(len(rs)), int64(len(lay))}, false))) // [B, K]
}
