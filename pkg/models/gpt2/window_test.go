package gpt2

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestLogitsWindow: CausalLM.Forward with LogitsFrom/LogitsTo returns
// exactly the full logits' positions [from, to), and rejects a window
// outside the sequence with an error naming it.
func TestLogitsWindow(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	m, err := New(store.Root(), tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	lm := NewCausalLM(m, store)
	defer lm.Close()
	ids := rows(t, [][]int64{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}})
	mask := rows(t, [][]int64{{1, 1, 1, 1, 1, 1}, {0, 0, 1, 1, 1, 1}})
	logits := func(from, to int64) ([]int64, []float64, error) {
		out, err := lm.Forward(models.Input{IDs: ids, Mask: mask, LogitsFrom: from, LogitsTo: to}, false)
		if err != nil {
			return nil, nil, err
		}
		defer out.Close()
		v, err := tensor.Float64s(out.Logits)
		return tensor.Shape(out.Logits), v, err
	}
	fullShape, full, err := logits(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	v := fullShape[2]
	for _, w := range [][2]int64{{0, 5}, {2, 0}, {1, 4}, {5, 6}} {
		t.Run(fmt.Sprintf("[%d,%d)", w[0], w[1]), func(t *testing.T) {
			shape, got, err := logits(w[0], w[1])
			if err != nil {
				t.Fatal(err)
			}
			to := w[1]
			if to == 0 {
				to = 6
			}
			if want := []int64{2, to - w[0], v}; fmt.Sprint(shape) != fmt.Sprint(want) {
				t.Fatalf("logits shape %v, want %v", shape, want)
			}
			for b := int64(0); b < 2; b++ {
				for p := w[0]; p < to; p++ {
					for k := int64(0); k < v; k++ {
						g := got[(b*(to-w[0])+p-w[0])*v+k]
						f := full[(b*6+p)*v+k]
						if math.Abs(g-f) > 1e-5 {
							t.Fatalf("logit [%d, %d, %d] = %g, full forward's %g", b, p, k, g, f)
						}
					}
				}
			}
		})
	}
	for _, w := range [][2]int64{{6, 0}, {3, 3}, {0, 7}, {-1, 2}, {4, 2}} {
		if _, _, err := logits(w[0], w[1]); err == nil || !strings.Contains(err.Error(), "logits window") {
			t.Errorf("window [%d, %d): error %v, want one naming the logits window", w[0], w[1], err)
		}
	}
}
