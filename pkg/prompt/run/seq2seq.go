package run

import (
	"math"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/t5"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// NewSeq2Seq returns a runner that scores label words as the decoder
// targets of T5ForConditionalGeneration given the prompt (T5's
// rank-classification, as in T0). The runner owns store.
func NewSeq2Seq(m *t5.Model, store *nn.Store) *Runner {
	return &Runner{f: &seq2seq{m: m}, store: store}
}

type seq2seq struct{ m *t5.Model }

func (f *seq2seq) kind() prompt.Kind { return prompt.Prefix }

func (f *seq2seq) config() (any, string, string) {
	family := "t5"
	if f.m.Config.ModelType != "" {
		family = f.m.Config.ModelType // mt5
	}
	return &f.m.Config, family, "T5ForConditionalGeneration"
}

// maxLen is unbounded: T5's relative position buckets have no table limit.
func (f *seq2seq) maxLen() int { return math.MaxInt32 }

func (f *seq2seq) check(r *prompt.Rendered, slot int, words prompt.WordIDs) error {
	return checkPrefix(r, slot, words, f.maxLen())
}

// tokenLogProbs encodes each prompt once (ids + </s>, as T5's tokenizer
// adds), repeats the encoder output for each label word, and scores the
// word as decoder targets behind decoder_start_token_id (T5's
// _shift_right): token j by the decoder's logits at position j.
func (f *seq2seq) tokenLogProbs(rs []*prompt.Rendered, slot int, words prompt.WordIDs, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	c := f.m.Config
	dev := deviceOf(f.m.Shared.Weight)
	ws := flatWords(words)
	lay := layout(words)
	enc := make([][]int64, len(rs))
	var rep []int64 // encoder row of each decoder row
	var dec [][]int64
	picks := make([]pick, 0, len(rs)*len(lay))
	for b, r := range rs {
		enc[b] = append(append([]int64{}, r.IDs...), c.EOSTokenID)
		for _, w := range ws {
			rep = append(rep, int64(b))
			dec = append(dec, append([]int64{c.DecoderStart()}, w[:len(w)-1]...))
		}
		for _, t := range lay {
			picks = append(picks, pick{Row: b*len(ws) + t.WordIndex, Pos: t.Tok, Tok: t.ID})
		}
	}
	ids, _, mask := padRight(enc, nil, c.PadTokenID).tensors(s, dev)
	eo, err := f.m.Encode(ids, mask, train)
	tensor.Check(err)
	defer eo.Close()
	idx := s.T(tensor.FromInt64s(rep, []int64{int64(len(rep))}, dev))
	hidden := s.T(eo.EncoderHidden.IndexSelect(0, idx, false)) // [B·W, S, C]
	encMask := s.T(mask.IndexSelect(0, idx, false))            // [B·W, S]
	decIDs, _, decMask := padRight(dec, nil, c.PadTokenID).tensors(s, dev)
	do, err := f.m.Decode(decIDs, decMask, hidden, encMask, nil, train)
	tensor.Check(err)
	defer do.Close()
	lp := s.Add(gatherLogProbs(do.Logits, picks, nil))                              // [B·K]
	return s.Keep(s.T(lp.Reshape([]int64{int64(len(rs)), int64(len(lay))}, false))) // [B, K]
}
