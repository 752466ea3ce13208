package bert

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
)

// unilmRows splits the bert-unilm fixture rows into sources (segment 0)
// and targets (segment 1, padding dropped).
func unilmRows(t *testing.T) (src, tgt [][]int64, m *MaskedLM) {
	dir := filepath.Join(fixtures, "bert-unilm")
	m, store, err := LoadMaskedLM(dir, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	c := modeltest.Cases(t, dir)[0]
	types := c.Rows(t, "token_type_ids")
	for b, row := range c.Rows(t, "input_ids") {
		var s, g []int64
		for i, id := range row {
			switch {
			case id == 0:
			case types[b][i] == 0:
				s = append(s, id)
			default:
				g = append(g, id)
			}
		}
		src, tgt = append(src, s), append(tgt, g)
	}
	return src, tgt, m
}

// full runs the whole unpadded sequence src+tgt with the UniLM mask and
// returns the logits [T, V] (the caller frees them).
func full(t *testing.T, m *MaskedLM, src, tgt []int64) *tensor.Tensor {
	ids := append(append([]int64(nil), src...), tgt...)
	types := make([]int64, len(ids))
	for i := len(src); i < len(ids); i++ {
		types[i] = 1
	}
	idsT, _ := tensor.FromRows([][]int64{ids}, gotch.CPU)
	typesT, _ := tensor.FromRows([][]int64{types}, gotch.CPU)
	defer tensor.Free(idsT, typesT)
	out, err := m.Forward(Input{IDs: idsT, TypeIDs: typesT, UniLM: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	l, err := out.Logits.Select(0, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestStepperMatchesFullForward feeds the fixture's targets through the
// cached Stepper on a left-padded batch and compares every step's logits
// with the unpadded full forward under the UniLM mask.
func TestStepperMatchesFullForward(t *testing.T) {
	src, tgt, m := unilmRows(t)
	width := max(len(src[0]), len(src[1]))
	var ids, mask [][]int64
	for _, s := range src { // left padding, as generate passes prompts
		pad := width - len(s)
		ids = append(ids, append(make([]int64, pad), s...))
		mask = append(mask, append(make([]int64, pad), slices.Repeat([]int64{1}, len(s))...))
	}
	before := tensor.Live()
	g := m.Stepper()
	p, err := g.Prepare(context.Background(), ids, mask)
	if err != nil {
		t.Fatal(err)
	}
	steps := []*tensor.Tensor{p.Logits}
	n := min(len(tgt[0]), len(tgt[1]))
	for i := range n - 1 {
		l, err := g.Step(context.Background(), p.State, []int64{tgt[0][i], tgt[1][i]})
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, l)
	}
	for b := range src {
		want := full(t, m, src[b], tgt[b][:n-1])
		for i, l := range steps {
			got, _ := l.Select(0, int64(b), false)
			w, _ := want.Select(0, int64(len(src[b])-1+i), false)
			d, err := modeltest.MaxDiff(got, w, nil)
			if err != nil || d > modeltest.Tol {
				t.Errorf("row %d step %d: logits differ by %.3g (%v)", b, i, d, err)
			}
			tensor.Free(got, w)
		}
		tensor.Free(want)
	}
	tensor.Free(steps...)
	p.State.Close()
	if d := tensor.Live() - before; d != 0 {
		t.Errorf("%d tensors leaked by Prepare/Step/Close", d)
	}
}

// TestGeneratePaddedEqualsAlone: greedy and beam UniLM decoding of a
// left-padded batch gives each row what it gives alone.
func TestGeneratePaddedEqualsAlone(t *testing.T) {
	src, _, m := unilmRows(t)
	pad := len(src[0]) - len(src[1])
	batch := generate.Batch{
		IDs:  [][]int64{src[0], append(make([]int64, pad), src[1]...)},
		Mask: [][]int64{slices.Repeat([]int64{1}, len(src[0])), append(make([]int64, pad), slices.Repeat([]int64{1}, len(src[1]))...)},
	}
	for _, beams := range []int{1, 3} {
		c := generate.Default()
		c.MaxNewTokens, c.NumBeams, c.EOSTokenID = 6, beams, []int64{3}
		zero := int64(0)
		c.PadTokenID = &zero
		got, err := generate.Generate(context.Background(), m.Stepper(), batch, c)
		if err != nil {
			t.Fatal(err)
		}
		for b, s := range src {
			alone, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: [][]int64{s}}, c)
			if err != nil {
				t.Fatal(err)
			}
			newGot, newAlone := got.Sequences[b][got.PrefixLen:], alone.Sequences[0][alone.PrefixLen:]
			n := min(len(newGot), len(newAlone))
			if !slices.Equal(newGot[:n], newAlone[:n]) {
				t.Errorf("beams %d row %d: batch %v, alone %v", beams, b, newGot, newAlone)
			}
		}
	}
}
