package heads

import (
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// Value is TRL's ValueHead (trl/models/modeling_value_head.py): dropout,
// then summary = Linear(hidden, 1), on the last hidden state.
type Value struct {
	Summary *layers.Linear
	Dropout float64 // TRL's summary_dropout_prob, 0.1 when the config lacks it
}

// DefaultValueDropout is TRL's ValueHead dropout when the model config has
// no summary_dropout_prob.
const DefaultValueDropout = 0.1

// NewValue registers summary.weight [1, hidden] and summary.bias [1] under
// p (TRL: "v_head"), with torch.nn.Linear's default init as TRL does.
func NewValue(p *nn.Path, hidden int64, dropout float64) *Value {
	return &Value{Summary: layers.NewLinear(p.Sub("summary"), hidden, 1, true, 0), Dropout: dropout}
}

// Values holds per-token values and the value at each row's last token.
type Values struct {
	PerToken *tensor.Tensor // [B, T]
	Last     *tensor.Tensor // [B], at the index given to Forward
}

// Close frees both tensors.
func (v *Values) Close() { tensor.Free(v.PerToken, v.Last) }

// Forward maps hidden [B, T, H] (after the final norm, TRL's
// hidden_states[-1]) to values; last [B] picks Values.Last (LastByMask for
// TRL's reward position). Dropout acts only when train is set.
func (v *Value) Forward(hidden, last *tensor.Tensor, train bool) Values {
	s := tensor.NewScope()
	defer s.Close()
	h := s.Add(layers.Dropout(hidden, v.Dropout, train))
	per := s.T(s.Add(v.Summary.Forward(h)).SqueezeDim(-1, false)) // [B, T]
	idx := s.T(last.Unsqueeze(1, false))                          // [B, 1]
	at := s.T(s.T(per.Gather(1, idx, false, false)).SqueezeDim(1, false))
	return Values{PerToken: s.Keep(per), Last: s.Keep(at)}
}
