package ppo

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestRolloutStopsAtEOS samples with an eos id: every response ends at
// its first eos (kept) or at the drawn length, within [min, max].
func TestRolloutStopsAtEOS(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*testing.T) Policy
	}{
		{"gpt2", func(t *testing.T) Policy { return tinyGPT2(t) }},
		{"t5", func(t *testing.T) Policy { return tinyT5(t) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy(t)
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.MiniBatchSize = 4, 4
			tr, err := NewTrainer(cfg, p, tc.policy(t))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			rc := DefaultRolloutConfig()
			rc.MinLength, rc.MaxLength = 3, 9
			rc.EOSTokenID = []int64{2}
			queries := [][]int64{{3, 4, 5}, {6}, {7, 8}, {9, 10, 11, 12}}
			for seed := int64(0); seed < 5; seed++ {
				responses, err := tr.Rollout(context.Background(), queries, rc, seed)
				if err != nil {
					t.Fatal(err)
				}
				longest := 0
				for i, r := range responses {
					longest = max(longest, len(r))
					for j, id := range r {
						if id == 2 && j != len(r)-1 {
							t.Errorf("seed %d row %d: eos at %d of %v", seed, i, j, r)
						}
					}
					if len(r) == 0 || len(r) > rc.MaxLength {
						t.Errorf("seed %d row %d: %d tokens, want 1..%d", seed, i, len(r), rc.MaxLength)
					}
				}
				if longest < rc.MinLength && !allEndWith(responses, 2) {
					t.Errorf("seed %d: longest response %d < min %d without eos", seed, longest, rc.MinLength)
				}
			}
		})
	}
}

func allEndWith(rows [][]int64, id int64) bool {
	for _, r := range rows {
		if len(r) == 0 || r[len(r)-1] != id {
			return false
		}
	}
	return true
}

// packLog records the precisions a policy is packed in.
type packLog struct {
	*ValueModel
	calls []layers.Precision
}

func (p *packLog) Pack(q layers.Precision) error {
	p.calls = append(p.calls, q)
	return p.ValueModel.Pack(q)
}

// TestRolloutQuantize: rollout_quantize packs the policy for the rollout
// and unpacks it after, so that the log-probabilities PPO computes next
// come from the float32 weights bit for bit; none packs nothing. Both
// families sample valid responses from packed weights.
func TestRolloutQuantize(t *testing.T) {
	for _, fam := range []struct {
		name   string
		policy func(*testing.T) *ValueModel
	}{{"gpt2", tinyGPT2}, {"t5", tinyT5}} {
		for _, q := range []layers.Precision{layers.None, layers.FP32, layers.FP16, layers.Int8} {
			t.Run(fam.name+"/"+string(q), func(t *testing.T) {
				p := &packLog{ValueModel: fam.policy(t)}
				cfg := DefaultConfig()
				cfg.BatchSize, cfg.MiniBatchSize = 2, 2
				tr, err := NewTrainer(cfg, p, fam.policy(t))
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				rc := DefaultRolloutConfig()
				rc.MinLength, rc.MaxLength, rc.Quantize = 4, 4, q
				queries := [][]int64{{3, 4, 5}, {6, 7}}
				before := scoreLogits(t, p.ValueModel, queries)
				responses, err := tr.Rollout(context.Background(), queries, rc, 1)
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range responses {
					if len(r) != 4 {
						t.Errorf("row %d: %d tokens, want 4", i, len(r))
					}
				}
				want := []layers.Precision{q, layers.None}
				if q == layers.None {
					want = nil
				}
				if !slices.Equal(p.calls, want) {
					t.Errorf("packed %v, want %v", p.calls, want)
				}
				if after := scoreLogits(t, p.ValueModel, queries); !slices.Equal(after, before) {
					t.Errorf("logits after the rollout differ from before it: the policy stayed packed")
				}
			})
		}
	}
}

// scoreLogits is the policy's logits for rows under no-grad, as PPO's
// forward pass scores a batch (a decoder start token for T5).
func scoreLogits(t *testing.T, p *ValueModel, rows [][]int64) []float32 {
	t.Helper()
	var out []float32
	err := tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		ids, mask := padRows(rows, 0, false)
		in := Input{SkipValues: true}
		in.IDs = s.T(tensor.FromRows(ids, gotch.CPU))
		in.Mask = s.T(tensor.FromRows(mask, gotch.CPU))
		if p.DecoderStart() >= 0 {
			in.DecoderIDs, in.DecoderMask = in.IDs, in.Mask
		}
		o, err := p.Forward(in, false)
		tensor.Check(err)
		defer o.Close()
		out, err = tensor.Float32s(o.Logits)
		tensor.Check(err)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRolloutQuantizeRefused: an unknown precision names the field, and a
// policy that cannot pack its weights says so.
func TestRolloutQuantizeRefused(t *testing.T) {
	rc := DefaultRolloutConfig()
	rc.Quantize = "int4"
	if err := rc.Validate(); err == nil || !strings.Contains(err.Error(), "rollout_quantize (--rollout-quantize)") {
		t.Errorf("int4: error %v, want one naming rollout_quantize", err)
	}
	a, c := tinyGPT2(t), tinyGPT2(t)
	cfg := DefaultConfig()
	cfg.BatchSize, cfg.MiniBatchSize = 2, 2
	tr, err := NewTrainer(cfg, ActorCritic{Actor: noPack{a}, Critic: c}, copyPolicy(t, a, tinyGPT2))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rc.Quantize = layers.Int8
	_, err = tr.Rollout(context.Background(), [][]int64{{3}, {4}}, rc, 1)
	if err == nil || !strings.Contains(err.Error(), "cannot pack its weights") {
		t.Errorf("error %v, want one saying the actor cannot pack its weights", err)
	}
}

// noPack is a policy that generates but cannot pack.
type noPack struct{ v *ValueModel }

func (n noPack) Forward(in Input, train bool) (Output, error) { return n.v.Forward(in, train) }
func (n noPack) DecoderStart() int64                          { return n.v.DecoderStart() }
func (n noPack) Stores() []*nn.Store                          { return n.v.Stores() }
func (n noPack) Stepper() generate.Stepper                    { return n.v.Stepper() }
