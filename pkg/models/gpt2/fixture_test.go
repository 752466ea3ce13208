package gpt2

import (
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// fixtures is testdata/models (scripts/fixtures/make_models.py).
const fixtures = "../../../testdata/models"

// rows makes an int64 tensor (nil for nil rows) freed at cleanup.
func rows(t *testing.T, r [][]int64) *tensor.Tensor {
	t.Helper()
	if r == nil {
		return nil
	}
	x, err := tensor.FromRows(r, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tensor.Free(x) })
	return x
}

// build makes a store on the CPU, builds a model in it with fn and loads
// dir's checkpoint strictly.
func build[M any](t *testing.T, dir string, fn func(root *nn.Path, c Config) (M, error)) M {
	t.Helper()
	c, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	store := nn.NewStore(gotch.CPU)
	t.Cleanup(store.Close)
	m, err := fn(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := weights.Load(dir, store, LoadOptions(c)); err != nil {
		t.Fatal(err)
	}
	return m
}

// logits runs in through m and returns the logits, flat.
func logits(t *testing.T, m *Model, in Input, train bool) []float32 {
	t.Helper()
	out, err := m.Forward(in, train)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	v, err := tensor.Float32s(out.Logits)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
