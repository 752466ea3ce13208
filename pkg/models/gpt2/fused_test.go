package gpt2

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestFusedStepIsOpByOp: a decoding step through tensor.GPT2Step gives
// the op-by-op path's logits and keys and values bit for bit — batch 1 and
// a left-padded batch, sizes with and without vector tails, per-layer
// score scaling, weights packed in bfloat16, one, two and four threads
// (four: more than a small machine has CPUs, where the team's waiters
// sleep at once), every vector width — and a step it does not take
// (another activation, int8 weights, scalar lanes) runs op by op.
func TestFusedStepIsOpByOp(t *testing.T) {
	cases := []struct {
		name                string
		layers, embd, heads int64
		batch               int
		inverseLayer        bool
		activation          string
		prec                layers.Precision
		fused               bool
	}{
		{"batch 1", 2, 64, 4, 1, false, "gelu_new", layers.None, true},
		{"padded batch", 3, 64, 4, 3, true, "gelu_new", layers.None, true},
		{"vector tails", 2, 36, 3, 2, false, "gelu_pytorch_tanh", layers.None, true},
		{"bf16 weights", 2, 64, 4, 3, false, "gelu_new", layers.BF16, true},
		{"bf16 weights, vector tails", 2, 36, 3, 1, true, "gelu_new", layers.BF16, true},
		{"other activation", 2, 64, 4, 2, false, "gelu", layers.None, false},
		{"int8 weights", 2, 64, 4, 1, false, "gelu_new", layers.Int8, false},
	}
	defer tensor.SetThreads(tensor.Threads())
	defer ext.Lanes(ext.Lanes(0))
	for _, c := range cases {
		for _, th := range []int{1, 2, 4} {
			for _, lanes := range widths() {
				ext.Lanes(lanes)
				t.Run(fmt.Sprintf("%s/threads %d/lanes %d", c.name, th, lanes), func(t *testing.T) {
					if err := tensor.SetThreads(th); err != nil {
						t.Fatal(err)
					}
					cfg := Default()
					cfg.NLayer, cfg.NEmbd, cfg.NHead, cfg.VocabSize, cfg.NPositions = c.layers, c.embd, c.heads, 97, 32
					cfg.ScaleAttnByInverseLayerIdx, cfg.ActivationFunction = c.inverseLayer, c.activation
					tensor.Seed(7)
					store := nn.NewStore(gotch.CPU)
					defer store.Close()
					m, err := New(store.Root(), cfg)
					if err != nil {
						t.Fatal(err)
					}
					// biases of zero, as initialized, would hide a bias left out
					if err := tensor.NoGrad(func() {
						for _, v := range store.Vars() {
							if strings.HasSuffix(v.Name, "bias") {
								tensor.Check(v.T.Normal_(0, 0.1))
							}
						}
					}); err != nil {
						t.Fatal(err)
					}
					if err := layers.Quantize(store, c.prec); err != nil {
						t.Fatal(err)
					}
					before := fusedSteps.Load()
					// as generation runs: the weights need gradients, the step does not
					if err := tensor.NoGrad(func() { compareSteps(t, m, c.batch) }); err != nil {
						t.Fatal(err)
					}
					ran := fusedSteps.Load() - before
					if want := c.fused && lanes > 1; (ran > 0) != want {
						t.Fatalf("fused steps: %d, want them run: %v", ran, want)
					}
				})
			}
		}
	}
}

// widths are the vector widths the patch's kernels can run at on this
// CPU (16, 8, 1 as it has them), for tests that run each; the caller
// restores the width.
func widths() []int {
	var out []int
	for _, w := range []int{16, 8, 1} {
		if got := ext.Lanes(w); !slices.Contains(out, got) {
			out = append(out, got)
		}
	}
	return out
}

// compareSteps feeds a prompt (rows after the first left-padded), then
// greedy tokens one at a time, to two caches: one through Forward as
// decoding calls it, one with AllHidden set, which runs the blocks op by
// op. Every step's logits, and the caches at the end, must be equal.
func compareSteps(t *testing.T, m *Model, batch int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(batch)))
	ids, mask := make([][]int64, batch), make([][]int64, batch)
	for i := range ids {
		for j := range 6 {
			ids[i] = append(ids[i], rng.Int64N(m.Config.VocabSize))
			mask[i] = append(mask[i], int64(min(1, max(0, j-i+1)))) // row i: i-1 pads
		}
	}
	if batch == 1 {
		mask = nil
	}
	fused, plain := NewCache(m.Config), NewCache(m.Config)
	defer fused.Close()
	defer plain.Close()
	var pos [][]int64
	var next []int64
	if mask != nil {
		pos, next, _ = positions(mask)
	}
	for step := range 8 {
		in := Input{IDs: rows(t, ids), Mask: rows(t, mask), Positions: rows(t, pos)}
		a, b := in, in
		a.Cache, b.Cache, b.AllHidden = fused, plain, true
		la, lb := logits(t, m, a, false), logits(t, m, b, false)
		if !slices.Equal(la, lb) {
			t.Fatalf("step %d: logits differ (max |Δ| %g)", step, maxDiff(la, lb))
		}
		v := int(m.Config.VocabSize)
		ids = make([][]int64, batch)
		for i := range ids {
			row := la[len(la)/batch*(i+1)-v : len(la)/batch*(i+1)]
			ids[i] = []int64{int64(argmax(row))}
		}
		if mask != nil {
			for i := range mask {
				mask[i] = append(mask[i], 1)
				pos[i], next[i] = []int64{next[i]}, next[i]+1
			}
		}
	}
	for i := range fused.Layers {
		fk, fv := fused.Layers[i].Tensors()
		pk, pv := plain.Layers[i].Tensors()
		for _, kv := range [][2]*tensor.Tensor{{fk, pk}, {fv, pv}} {
			a, err := tensor.Float32s(kv[0])
			if err != nil {
				t.Fatal(err)
			}
			b, err := tensor.Float32s(kv[1])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) {
				t.Fatalf("layer %d: cached keys or values differ (max |Δ| %g)", i, maxDiff(a, b))
			}
		}
	}
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return float64(len(a) - len(b))
	}
	d := 0.0
	for i := range a {
		d = max(d, float64(a[i]-b[i]), float64(b[i]-a[i]))
	}
	return d
}

// TestFusedStepRefusesOutOfRange: the fused call builds the step's
// embeddings itself, so it checks ids and positions on its own (Forward's
// checks run first; this is the call's own net) and names what is wrong.
func TestFusedStepRefusesOutOfRange(t *testing.T) {
	cfg := Default()
	cfg.NLayer, cfg.NEmbd, cfg.NHead, cfg.VocabSize, cfg.NPositions = 2, 32, 4, 50, 16
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	m, err := New(store.Root(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		id, pos  int64
		wantText string
	}{
		{"id past the vocabulary", 50, 3, "input id 50 in row 0 is outside [0, 50)"},
		{"negative id", -1, 3, "input id -1"},
		{"position past n_positions", 7, 16, "position 16 in row 0 is outside [0, 16)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := tensor.NoGrad(func() {
				cache := NewCache(cfg)
				defer cache.Close()
				ids := []int64{1, 2, 3}
				prompt, err := tensor.FromInt64s(ids, []int64{1, 3}, gotch.CPU)
				if err != nil {
					t.Fatal(err)
				}
				defer tensor.Free(prompt)
				out, err := m.Forward(Input{IDs: prompt, Cache: cache}, false)
				if err != nil {
					t.Fatal(err)
				}
				out.Close()
				next, _ := tensor.FromInt64s([]int64{c.id}, []int64{1, 1}, gotch.CPU)
				pos, _ := tensor.FromInt64s([]int64{c.pos}, []int64{1, 1}, gotch.CPU)
				defer tensor.Free(next, pos)
				w, kbuf, vbuf, scales, ok := m.stepArgs(cache)
				if !ok {
					t.Fatal("plain blocks refused")
				}
				in := tensor.StepInput{IDs: next, Positions: pos, WTE: m.WTE.Weight, WPE: m.WPE.Weight}
				y, err := tensor.GPT2Step(in, w, kbuf, vbuf, cache.Len(), nil, scales, cfg.NHead, cfg.LayerNormEpsilon)
				tensor.Free(y)
				if err == nil || !strings.Contains(err.Error(), c.wantText) {
					t.Fatalf("error %v, want one containing %q", err, c.wantText)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
