package gpt2

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// accuracy is how a quantized model's outputs compare with float32's.
type accuracy struct {
	maxDelta float64 // max |Δlogit| over every position of every prompt (bounds: derived from relRMS)
	relRMS   float64 // RMS(Δlogit) / RMS(logit)
	argmax   float64 // share of positions whose next-token argmax agrees (teacher-forced)
	greedy   float64 // share of prompts whose greedy continuation is identical
}

// quantCase is one model with each precision's least acceptable accuracy.
type quantCase struct {
	name  string
	model func(t *testing.T) (*Model, *nn.Store)
	want  map[layers.Precision]accuracy // relRMS: at most; argmax, greedy: at least
}

// TestQuantizedAccuracy packs GPT-2 in each precision and compares it with
// float32 on 64 random prompts of 12 tokens (logits at every position) and
// on greedy decoding of 8 new tokens from 50 of them.
//
// The bounds follow from layers' per-projection errors (quantBound: int8
// ≈ 2 % RMS on AVX2's 7-bit weights, bf16 ≈ 0.3 %, fp16 ≈ 0.03 %)
// compounded over 2·4+1 = 9 (fixture) or 4·4+1 = 17 (random) projections,
// partly absorbed by the layer norms: relative RMS error ≤ 6 % for int8,
// 1 % bf16, 0.1 % fp16; max |Δlogit| ≤ 8× the RMS error times RMS(logit)
// (the tail of ~10⁵ logits). Agreement bounds leave room below the values
// measured here (int8: argmax 0.94–0.96, greedy 0.80–0.86; see the log),
// since a kernel on another CPU rounds differently:
//   - fixture (testdata/models/gpt2: 2 blocks × 32, vocab 512, weights
//     N(0, 0.2)): logits RMS ≈ 1.2;
//   - random 4 × 256, vocab 2048, HF's N(0, 0.02) init: logits RMS ≈ 0.3
//     and top-1/top-2 gaps of hundredths, the hard case for agreement (a
//     trained model's logits are peaked).
//
// A broken int8 scale or int16 saturation moves the RMS error past 6 %
// (layers.TestQuantizeBoundCatchesBrokenInt8 shows it per projection).
func TestQuantizedAccuracy(t *testing.T) {
	cases := []quantCase{
		{"fixture", fixtureModel, map[layers.Precision]accuracy{
			layers.FP32: {relRMS: 1e-6, argmax: 1, greedy: 1},
			layers.FP16: {relRMS: 1e-3, argmax: 0.99, greedy: 0.95},
			layers.BF16: {relRMS: 0.01, argmax: 0.97, greedy: 0.85},
			layers.Int8: {relRMS: 0.06, argmax: 0.9, greedy: 0.7},
		}},
		{"random 4×256", randomModel, map[layers.Precision]accuracy{
			layers.FP32: {relRMS: 1e-6, argmax: 1, greedy: 1},
			layers.FP16: {relRMS: 1e-3, argmax: 0.99, greedy: 0.95},
			layers.BF16: {relRMS: 0.01, argmax: 0.97, greedy: 0.85},
			layers.Int8: {relRMS: 0.06, argmax: 0.9, greedy: 0.7},
		}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, store := c.model(t)
			prompts := randomRows(rng, 64, 12, m.Config.VocabSize)
			ref, refGen := logitsAndGreedy(t, m, prompts)
			scale := rms(ref)
			t.Logf("RMS(logit) %.3g", scale)
			for _, p := range []layers.Precision{layers.FP32, layers.FP16, layers.BF16, layers.Int8} {
				if err := layers.Quantize(store, p, &m.LM.Linear); err != nil {
					t.Fatal(err)
				}
				got, gen := logitsAndGreedy(t, m, prompts)
				a := compare(ref, got, int(m.Config.VocabSize))
				a.greedy = sameRows(refGen, gen)
				w := c.want[p]
				w.maxDelta = 8 * w.relRMS * scale
				t.Logf("%-4s max|Δlogit| %.3g  RMS(Δ)/RMS %.3g  argmax %.3f  greedy %.2f", p, a.maxDelta, a.relRMS, a.argmax, a.greedy)
				if a.maxDelta > w.maxDelta || a.relRMS > w.relRMS || a.argmax < w.argmax || a.greedy < w.greedy {
					t.Errorf("%s: %+v, want within %+v", p, a, w)
				}
			}
			if err := layers.Quantize(store, layers.None, &m.LM.Linear); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func fixtureModel(t *testing.T) (*Model, *nn.Store) {
	m, store, err := Load(fixtures+"/gpt2", gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return m, store
}

func randomModel(t *testing.T) (*Model, *nn.Store) {
	tensor.Seed(11)
	c := Default()
	c.NLayer, c.NEmbd, c.NHead, c.VocabSize, c.NPositions = 4, 256, 4, 2048, 64
	store := nn.NewStore(gotch.CPU)
	t.Cleanup(store.Close)
	m, err := New(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	return m, store
}

func randomRows(rng *rand.Rand, n, width int, vocab int64) [][]int64 {
	rows := make([][]int64, n)
	for i := range rows {
		rows[i] = make([]int64, width)
		for j := range rows[i] {
			rows[i][j] = rng.Int64N(vocab)
		}
	}
	return rows
}

// logitsAndGreedy returns the logits of every position of the prompts
// (flat [N·T·V]) and the greedy continuations (8 new tokens) of the first 50.
func logitsAndGreedy(t *testing.T, m *Model, prompts [][]int64) ([]float32, [][]int64) {
	t.Helper()
	logits := forwardLogits(t, m, prompts)
	c := generate.Default()
	c.MaxNewTokens = 8
	gen, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: prompts[:50]}, c)
	if err != nil {
		t.Fatal(err)
	}
	return logits, gen.Sequences
}

// compare fills maxDelta, relRMS and argmax for rows of v logits.
func compare(ref, got []float32, v int) accuracy {
	var a accuracy
	var num, den float64
	agree := 0
	for r := 0; r < len(ref)/v; r++ {
		x, y := ref[r*v:(r+1)*v], got[r*v:(r+1)*v]
		for i := range x {
			d := float64(y[i] - x[i])
			a.maxDelta = math.Max(a.maxDelta, math.Abs(d))
			num += d * d
			den += float64(x[i]) * float64(x[i])
		}
		if slices.Index(x, slices.Max(x)) == slices.Index(y, slices.Max(y)) { // argmax, first on ties
			agree++
		}
	}
	a.relRMS = math.Sqrt(num / den)
	a.argmax = float64(agree) / float64(len(ref)/v)
	return a
}

func sameRows(a, b [][]int64) float64 {
	n := 0
	for i := range a {
		if slices.Equal(a[i], b[i]) {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// TestLoadQuantize: models.Load's Quantize option packs every projection,
// the tied LM head included (logits equal a model packed by hand, and
// differ from float32), and a bad precision is refused naming the
// directory.
func TestLoadQuantize(t *testing.T) {
	dir := fixtures + "/gpt2"
	ids := [][]int64{{1, 2, 3, 4, 5}}
	logits := func(m *Model) []float32 { return forwardLogits(t, m, ids) }
	loaded, err := models.Load(dir, models.Options{Device: gotch.CPU, Quantize: layers.Int8})
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	byHand, store := fixtureModel(t)
	plain := logits(byHand)
	if err := layers.Quantize(store, layers.Int8); err != nil { // the tied head left out
		t.Fatal(err)
	}
	noHead := logits(byHand)
	if err := layers.Quantize(store, layers.Int8, &byHand.LM.Linear); err != nil {
		t.Fatal(err)
	}
	got, want := logits(loaded.(*CausalLM).Model), logits(byHand)
	if !slices.Equal(got, want) {
		t.Error("models.Load with Quantize int8 differs from layers.Quantize with the tied head")
	}
	if slices.Equal(got, noHead) || slices.Equal(got, plain) {
		t.Error("the tied LM head was not quantized, or nothing was")
	}
	if _, err := models.Load(dir, models.Options{Device: gotch.CPU, Quantize: "int4"}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %v, want one naming %s", err, dir)
	}
}

// forwardLogits runs rows through m without gradients: flat [N·T·V].
func forwardLogits(t *testing.T, m *Model, r [][]int64) []float32 {
	t.Helper()
	var v []float32
	if err := tensor.NoGrad(func() { v = logits(t, m, Input{IDs: rows(t, r)}, false) }); err != nil {
		t.Fatal(err)
	}
	return v
}
