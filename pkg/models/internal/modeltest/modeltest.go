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
