package bert

import (
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// TestRewardScoresCLS loads the bert fixture's encoder into a Reward model
// (v_head stays at its random init) and checks the score against
// v_head.summary applied to HF's last_hidden_state[:, 0].
func TestRewardScoresCLS(t *testing.T) {
	dir := filepath.Join(fixtures, "bert")
	c, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := NewReward(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	opts := LoadOptions(c, "bert.pooler", "cls")
	opts.Partial = true
	rep, err := weights.Load(dir, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 2 { // v_head.summary.{weight,bias}
		t.Fatalf("missing %v, want only v_head", rep.Missing)
	}
	cs := modeltest.Cases(t, dir)[1]
	in, _ := input(t, cs)
	out, err := m.Forward(in, false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	s := tensor.NewScope()
	defer s.Close()
	cls := s.T(modeltest.Expected(t, dir)[cs.Name+".last_hidden_state"].Select(1, 0, false)) // [B, C]
	want := s.T(s.T(ts.Linear(cls, m.Head.Summary.Weight, m.Head.Summary.Bias)).SqueezeDim(1, false))
	modeltest.Close(t, "reward", out.Logits, want, nil)
}
