package layers

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// act2fn is HF's ACT2FN on a grid (scripts/fixtures/make_variants.py).
const act2fn = "../../../testdata/models/act2fn"

// TestActivationsMatchHF runs every activation transformers 4.46.3 knows
// by name on x in [-8, 8] and compares with its values: a name gotrl
// lacked or mapped to another formula (erf vs tanh GELU differ by up to
// 5e-4 here) fails.
func TestActivationsMatchHF(t *testing.T) {
	raw, err := os.ReadFile(act2fn + "/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases struct {
		Names []string `json:"names"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	want, err := weights.ReadTensors(act2fn+"/expected.safetensors", gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, x := range want {
			tensor.Free(x)
		}
	}()
	x := want["x"]
	for _, name := range cases.Names {
		t.Run(name, func(t *testing.T) {
			act, err := NewActivation(name)
			if err != nil {
				t.Fatal(err)
			}
			var got *tensor.Tensor
			if err := tensor.Catch(func() { got = act(x) }); err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(got)
			g, err1 := tensor.Float64s(got)
			w, err2 := tensor.Float64s(want[name])
			if err1 != nil || err2 != nil || len(g) != len(w) {
				t.Fatalf("values: %v, %v, %d vs %d", err1, err2, len(g), len(w))
			}
			worst := 0.0
			for i := range w {
				worst = max(worst, math.Abs(g[i]-w[i])/(1+math.Abs(w[i])))
			}
			if worst > 1e-6 {
				t.Errorf("max relative difference %.3g from HF's", worst)
			}
		})
	}
	if _, err := NewActivation("gelu_fancy"); err == nil || !strings.Contains(err.Error(), `unknown activation "gelu_fancy"`) {
		t.Errorf("unknown name: error %v", err)
	}
}
