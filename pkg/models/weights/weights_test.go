package weights

import (
	"math"
	"slices"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

const models = "../../../testdata/models/"

// newStore makes a store with one randomly initialised parameter per name
// (buffers for names in buffers).
func newStore(t testing.TB, shapes map[string][]int64, buffers ...string) *nn.Store {
	t.Helper()
	store := nn.NewStore(gotch.CPU)
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	slices.Sort(names)
	err := tensor.Catch(func() {
		for _, name := range names {
			if slices.Contains(buffers, name) {
				store.Root().Buffer(name, shapes[name], nn.Normal(1))
			} else {
				store.Root().Param(name, shapes[name], nn.Normal(1))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return store
}

// values reads a tensor as float64s (exact for F32/F16/BF16 values).
func values(t *testing.T, x *tensor.Tensor) []float64 {
	t.Helper()
	v, err := tensor.Float64s(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sameBits compares two tensors element by element, NaN-safe and exact.
func sameBits(t *testing.T, name string, got, want *tensor.Tensor) {
	t.Helper()
	if gs, ws := shapeOf(t, got), shapeOf(t, want); !slices.Equal(gs, ws) {
		t.Errorf("%s: shape %v, want %v", name, gs, ws)
		return
	}
	g, w := values(t, got), values(t, want)
	for i := range g {
		if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
			t.Errorf("%s[%d] = %v, want %v", name, i, g[i], w[i])
			return
		}
	}
}

func freeAll(m map[string]*tensor.Tensor) {
	for _, x := range m {
		tensor.Free(x)
	}
}

// checkNoLeak fails the test if fn leaves tensors alive.
func checkNoLeak(t *testing.T, fn func()) {
	t.Helper()
	before := tensor.Live()
	fn()
	if after := tensor.Live(); after != before {
		t.Errorf("%d tensor(s) leaked", after-before)
	}
}

func shapeOf(t testing.TB, x *tensor.Tensor) []int64 {
	t.Helper()
	s, err := x.Size()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
