package run

import (
	"fmt"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/prompt"
)

// SoftName is the store name of the soft-token table, PEFT's name for a
// prompt-tuning embedding. Save writes it to SoftFile, not to the model's
// safetensors, so the model stays loadable by transformers.
const (
	SoftName = "prompt_encoder.embedding.weight"
	SoftFile = "soft_prompt.safetensors"
)

// Soft is P-tuning's continuous prompt (Liu et al. 2021; PEFT's prompt
// tuning): one trainable vector per {soft} token, injected in place of the
// word embedding at Rendered.SoftPositions[i]. The table is a plain
// embedding (P-tuning's LSTM prompt encoder is left out).
type Soft struct {
	Weight *tensor.Tensor // [S, C]
}

// Len is the number of soft tokens.
func (s *Soft) Len() int {
	if s == nil {
		return 0
	}
	return int(tensor.Shape(s.Weight)[0])
}

// WithSoft gives an MLM runner n soft tokens, registered in its store as
// SoftName (trainable) and initialised N(0, initializer_range).
func (r *Runner) WithSoft(n int) (soft *Soft, err error) {
	defer tensor.Recover(&err)
	f, ok := r.f.(*mlm)
	if !ok {
		return nil, fmt.Errorf("soft tokens: only the MLM (BERT) runner injects them; %s models are not supported yet", r.Kind())
	}
	if n < 1 {
		return nil, fmt.Errorf("soft tokens: n = %d, want >= 1", n)
	}
	if f.soft != nil {
		return nil, fmt.Errorf("soft tokens: the runner already has %d", f.soft.Len())
	}
	c := f.m.Bert.Config
	w := r.store.Root().Sub("prompt_encoder").Sub("embedding").Param("weight", []int64{int64(n), c.HiddenSize}, nn.Normal(c.InitializerRange))
	f.soft = &Soft{Weight: w}
	return f.soft, nil
}

// embed returns the word embeddings of ids [B, T] with row b's soft
// positions replaced by the table's vectors: [B, T, C].
func (s *Soft) embed(words *layers.Embedding, ids *tensor.Tensor, rs []*prompt.Rendered) *tensor.Tensor {
	sc := tensor.NewScope()
	defer sc.Close()
	sh := tensor.Shape(ids) // [B, T]
	sel := make([]int64, sh[0]*sh[1])
	is := make([]float32, sh[0]*sh[1])
	for b, r := range rs {
		for i, p := range r.SoftPositions {
			sel[int64(b)*sh[1]+int64(p)], is[int64(b)*sh[1]+int64(p)] = int64(i), 1
		}
	}
	dev := deviceOf(ids)
	idx := sc.T(tensor.FromInt64s(sel, []int64{sh[0] * sh[1]}, dev))
	cond := sc.T(sc.T(tensor.FromFloat32s(is, []int64{sh[0], sh[1], 1}, dev)).Gt(sc.Float(0.5), false)) // [B, T, 1]
	w := sc.Add(words.Forward(ids))                                                                     // [B, T, C]
	soft := sc.T(sc.T(s.Weight.IndexSelect(0, idx, false)).Reshape(tensor.Shape(w), false))             // [B, T, C]
	return sc.Keep(sc.T(soft.WhereSelf(cond, w, false)))
}
