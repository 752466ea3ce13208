package weights

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

// TestLoadNonFinite: a checkpoint holding NaN or ±Inf in one tensor is
// refused at load, naming that tensor (issue 18: such a model generated
// padding with exit 0), and the store is left as it was for the tensors
// not yet read; a finite one loads.
func TestLoadNonFinite(t *testing.T) {
	for _, tt := range []struct {
		name string
		bad  float32
		want string // "" = loads
	}{
		{"finite", 1e30, ""},
		{"nan", float32(math.NaN()), `tensor "h.0.weight" holds NaN or infinite values`},
		{"+inf", float32(math.Inf(1)), `tensor "h.0.weight" holds NaN or infinite values`},
		{"-inf", float32(math.Inf(-1)), `tensor "h.0.weight" holds NaN or infinite values`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vals := []float32{0.5, -1, tt.bad, 2}
			bad, err := tensor.FromFloat32s(vals, []int64{2, 2}, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(bad)
			good, err := tensor.FromFloat32s([]float32{1, 2}, []int64{2}, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(good)
			path := filepath.Join(t.TempDir(), SafetensorsFile)
			if err := SaveTensors(path, map[string]*tensor.Tensor{"h.0.weight": bad, "h.0.bias": good}); err != nil {
				t.Fatal(err)
			}
			store := newStore(t, map[string][]int64{"h.0.weight": {2, 2}, "h.0.bias": {2}})
			_, err = Load(path, store, LoadOptions{})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Load: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
