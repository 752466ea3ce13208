// Package modeltest reads the parity fixtures of testdata/models (see
// testdata/README.md) for the model families' tests: cases.json inputs as
// tensors, expected.safetensors outputs, and a masked max-abs comparison.
package modeltest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// Tol is the parity tolerance: max abs difference in fp32.
const Tol = 1e-4

// Case is one entry of cases.json.
type Case struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	Inputs      map[string]json.RawMessage `json:"inputs"`
	Outputs     []string                   `json:"outputs"`
}

// Cases reads dir/cases.json.
func Cases(t testing.TB, dir string) []Case {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s/cases.json: %v", dir, err)
	}
	return f.Cases
}

// Expected reads dir/expected.safetensors; the tensors are freed at the
// end of the test.
func Expected(t testing.TB, dir string) map[string]*tensor.Tensor {
	t.Helper()
	m, err := weights.ReadTensors(filepath.Join(dir, "expected.safetensors"), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, x := range m {
			tensor.Free(x)
		}
	})
	return m
}

// Rows decodes a 2-D int list input (nil when absent).
func (c Case) Rows(t testing.TB, name string) [][]int64 {
	t.Helper()
	raw, ok := c.Inputs[name]
	if !ok {
		return nil
	}
	var rows [][]int64
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("case %s: input %s: %v", c.Name, name, err)
	}
	return rows
}

// Tensor returns input name (a 2-D or 3-D int list) as an int64 tensor
// freed at the end of the test, or nil when the case lacks it.
func (c Case) Tensor(t testing.TB, name string) *tensor.Tensor {
	t.Helper()
	raw, ok := c.Inputs[name]
	if !ok {
		return nil
	}
	var flat []int64
	var shape []int64
	var cube [][][]int64
	if err := json.Unmarshal(raw, &cube); err == nil {
		shape = []int64{int64(len(cube)), int64(len(cube[0])), int64(len(cube[0][0]))}
		for _, m := range cube {
			for _, r := range m {
				flat = append(flat, r...)
			}
		}
	} else {
		rows := c.Rows(t, name)
		shape = []int64{int64(len(rows)), int64(len(rows[0]))}
		for _, r := range rows {
			flat = append(flat, r...)
		}
	}
	x, err := tensor.FromInt64s(flat, shape, gotch.CPU)
	if err != nil {
		t.Fatalf("case %s: input %s: %v", c.Name, name, err)
	}
	t.Cleanup(func() { tensor.Free(x) })
	return x
}

// MaxDiff returns max |got - want| over positions [b, t, ...] whose
// mask[b][t] is 1 (mask nil compares everything). Shapes must match.
func MaxDiff(got, want *tensor.Tensor, mask [][]int64) (float64, error) {
	gs, ws := tensor.Shape(got), tensor.Shape(want)
	if !slices.Equal(gs, ws) {
		return 0, fmt.Errorf("shape %v, want %v", gs, ws)
	}
	g, err := tensor.Float64s(got)
	if err != nil {
		return 0, err
	}
	w, err := tensor.Float64s(want)
	if err != nil {
		return 0, err
	}
	inner := 1
	if mask != nil {
		for _, d := range ws[2:] {
			inner *= int(d)
		}
	}
	worst := 0.0
	for i := range g {
		if mask != nil {
			pos := i / inner
			if mask[pos/int(ws[1])][pos%int(ws[1])] == 0 {
				continue
			}
		}
		d := math.Abs(g[i] - w[i])
		if math.IsNaN(d) {
			return math.Inf(1), nil
		}
		worst = max(worst, d)
	}
	return worst, nil
}

// Close asserts MaxDiff(got, want, mask) ≤ Tol, logs the difference, and
// returns it.
func Close(t testing.TB, name string, got, want *tensor.Tensor, mask [][]int64) float64 {
	t.Helper()
	if want == nil {
		t.Fatalf("%s: no expected tensor", name)
	}
	d, err := MaxDiff(got, want, mask)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s: max abs diff %.3g", name, d)
	if d > Tol {
		t.Errorf("%s: max abs diff %.3g > %g", name, d, Tol)
	}
	return d
}

// Ones returns a b×n mask of ones (inputs without attention_mask).
func Ones(b, n int) [][]int64 {
	m := make([][]int64, b)
	for i := range m {
		m[i] = slices.Repeat([]int64{1}, n)
	}
	return m
}

// WithoutGrad returns the trainable variables of store whose gradient is
// undefined or all zero after a backward pass: a test of one training
// step asserts it is empty.
func WithoutGrad(store *nn.Store) ([]string, error) {
	var names []string
	for _, v := range store.Trainable() {
		g, err := v.T.Grad(false)
		if err != nil {
			return nil, fmt.Errorf("grad of %s: %w", v.Name, err)
		}
		ok, err := g.Defined()
		if err == nil && ok {
			var vals []float64
			vals, err = tensor.Float64s(g)
			ok = slices.ContainsFunc(vals, func(x float64) bool { return x != 0 })
		}
		tensor.Free(g)
		if err != nil {
			return nil, fmt.Errorf("grad of %s: %w", v.Name, err)
		}
		if !ok {
			names = append(names, v.Name)
		}
	}
	return names, nil
}

// Loss is the mean cross-entropy of logits [..., V] against labels [...]
// (int64), for one-step training tests.
func Loss(logits, labels *tensor.Tensor) (*tensor.Tensor, error) {
	s := tensor.NewScope()
	defer s.Close()
	var out *tensor.Tensor
	err := tensor.Catch(func() {
		v := tensor.Shape(logits)
		flat := s.T(logits.Reshape([]int64{-1, v[len(v)-1]}, false))
		y := s.T(labels.Reshape([]int64{-1}, false))
		out = s.Keep(s.T(flat.CrossEntropyLoss(y, tensor.Opt(nil), 1, -100, 0, false)))
	})
	return out, err
}

// SaveAndReload writes m with weights.Save (config.json and
// model.safetensors, as save_pretrained lays them out) and loads the
// directory back through models.Load; the reloaded model is closed at the
// end of the test. With GOTRL_SAVE_DIR set, the files stay in
// $GOTRL_SAVE_DIR/name for scripts/fixtures/roundtrip_check.py.
func SaveAndReload(t testing.TB, m models.Model, name string) models.Model {
	t.Helper()
	dir := t.TempDir()
	if keep := os.Getenv("GOTRL_SAVE_DIR"); keep != "" {
		dir = filepath.Join(keep, name)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	again, err := models.Load(dir, models.Options{Device: gotch.CPU})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Close)
	return again
}

// Without copies the checkpoint dir (config.json and model.safetensors)
// into a temporary directory, leaving out the named tensors, and returns
// the copy: a checkpoint that lacks what its config implies.
func Without(t testing.TB, dir string, names ...string) string {
	t.Helper()
	out := t.TempDir()
	config, err := os.ReadFile(filepath.Join(dir, models.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, models.ConfigFile), config, 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := weights.ReadTensors(filepath.Join(dir, weights.SafetensorsFile), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if file[name] == nil {
			t.Fatalf("%s has no tensor %s", dir, name)
		}
		tensor.Free(file[name])
		delete(file, name)
	}
	err = weights.SaveTensors(filepath.Join(out, weights.SafetensorsFile), file)
	for _, x := range file {
		tensor.Free(x)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}
