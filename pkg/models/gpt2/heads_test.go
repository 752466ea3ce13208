package gpt2

import (
	"path/filepath"
	"testing"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/heads"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestClassifierMatchesHF: GPT2ForSequenceClassification's logits at the
// token before the first pad, right- and left-padded.
func TestClassifierMatchesHF(t *testing.T) {
	dir := filepath.Join(fixtures, "gpt2-seqcls")
	m := build(t, dir, NewClassifier)
	exp := modeltest.Expected(t, dir)
	for _, c := range modeltest.Cases(t, dir) {
		t.Run(c.Name, func(t *testing.T) {
			out, err := m.Forward(Input{
				IDs: c.Tensor(t, "input_ids"), Mask: c.Tensor(t, "attention_mask"), Positions: c.Tensor(t, "position_ids"),
			}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			modeltest.Close(t, "logits", out.Logits, exp[c.Name+".logits"], nil)
			modeltest.Close(t, "last_hidden_state", out.Hidden, exp[c.Name+".last_hidden_state"], c.Rows(t, "attention_mask"))
		})
	}
}

// valueModel is TRL's AutoModelForCausalLMWithValueHead on GPT-2:
// the LM and v_head.summary on the same store.
type valueModel struct {
	*Model
	head *heads.Value
}

func newValueModel(root *nn.Path, c Config) (valueModel, error) {
	m, err := New(root, c)
	if err != nil {
		return valueModel{}, err
	}
	return valueModel{m, heads.NewValue(root.Sub("v_head"), c.NEmbd, 0)}, nil
}

// TestValueHeadMatchesHF: per-token values v_head(ln_f output) and the
// value at each row's last real token.
func TestValueHeadMatchesHF(t *testing.T) {
	dir := filepath.Join(fixtures, "gpt2-valuehead")
	m := build(t, dir, newValueModel)
	exp := modeltest.Expected(t, dir)
	for _, c := range modeltest.Cases(t, dir) {
		t.Run(c.Name, func(t *testing.T) {
			mask := c.Rows(t, "attention_mask")
			out, err := m.Forward(Input{
				IDs: c.Tensor(t, "input_ids"), Mask: c.Tensor(t, "attention_mask"), Positions: c.Tensor(t, "position_ids"),
			}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			var v heads.Values
			if err := tensor.Catch(func() {
				last := heads.LastByMask(rows(t, mask))
				defer tensor.Free(last)
				v = m.head.Forward(out.Hidden, last, false)
			}); err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			wantValues := exp[c.Name+".values"]
			modeltest.Close(t, "values", v.PerToken, wantValues, mask)
			w, err := tensor.Float64s(wantValues)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tensor.Float64s(v.Last)
			if err != nil {
				t.Fatal(err)
			}
			T := len(mask[0])
			for b, row := range mask {
				last := T - 1
				for last > 0 && row[last] == 0 {
					last--
				}
				if d := got[b] - w[b*T+last]; d > modeltest.Tol || d < -modeltest.Tol {
					t.Errorf("row %d: last value %g, want values[%d] = %g", b, got[b], last, w[b*T+last])
				}
			}
		})
	}
}
