package bert

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
)

// TestRobertaMatchesHF loads scripts/fixtures/make_roberta.py's
// checkpoints through models.Load, as a user would, and compares the head's
// logits and every hidden state with transformers' on unpadded,
// right-padded and left-padded batches (RoBERTa's position ids depend on
// where the padding is), then saves and reloads each model.
func TestRobertaMatchesHF(t *testing.T) {
	for _, name := range []string{"roberta-mlm", "roberta-seqcls", "xlm-roberta-mlm"} {
		dir := filepath.Join(fixtures, name)
		m, err := models.Load(dir, models.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again := modeltest.SaveAndReload(t, m, name)
		want := modeltest.Expected(t, dir)
		for _, c := range modeltest.Cases(t, dir) {
			in := Input{IDs: c.Tensor(t, "input_ids"), Mask: c.Tensor(t, "attention_mask")}
			ids := c.Rows(t, "input_ids")
			mask := modeltest.Ones(len(ids), len(ids[0]))
			if in.Mask != nil {
				mask = c.Rows(t, "attention_mask")
			}
			for i, m := range []models.Model{m, again} {
				t.Run(name+"/"+c.Name+[]string{"", "/reloaded"}[i], func(t *testing.T) {
					out := robertaForward(t, m, in)
					defer out.Close()
					modeltest.Close(t, "logits", out.Logits, want[c.Name+".logits"], maskFor(out.Logits, mask))
					checkHidden(t, c, want, out, mask)
				})
			}
		}
		m.Close()
		again.Close()
	}
}

// robertaForward runs a loaded RoBERTa head.
func robertaForward(t *testing.T, m models.Model, in Input) *Output {
	t.Helper()
	var out *Output
	var err error
	switch m := m.(type) {
	case *MLM:
		out, err = m.MaskedLM.Forward(in, false)
	case *SequenceClassifier:
		out, err = m.loaded.Head.(*SequenceClassification).Forward(in, false)
	default:
		t.Fatalf("loaded %T", m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRobertaPositionsLimit: RoBERTa's positions start at pad_token_id + 1,
// so 40 position embeddings hold 38 tokens; the 39th is refused, naming the
// field, and the model reports 38 as its length.
func TestRobertaPositionsLimit(t *testing.T) {
	m, err := models.Load(filepath.Join(fixtures, "roberta-mlm"), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	lm := m.(*MLM)
	if got := lm.Dims().MaxPositions; got != 38 {
		t.Errorf("MaxPositions %d, want 38", got)
	}
	for _, n := range []int{38, 39} {
		row := make([]int64, n)
		for i := range row {
			row[i] = 7
		}
		ids, err := tensor.FromInt64s(row, []int64{1, int64(n)}, gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		out, err := lm.MaskedLM.Forward(Input{IDs: ids}, false)
		tensor.Free(ids)
		if n == 38 {
			if err != nil {
				t.Errorf("38 tokens: %v", err)
			} else {
				out.Close()
			}
			continue
		}
		if err == nil {
			out.Close()
			t.Errorf("39 tokens: no error")
		} else if !strings.Contains(err.Error(), "max_position_embeddings 40") {
			t.Errorf("39 tokens: %v", err)
		}
	}
}

// TestRobertaBareModel: RobertaModel read from a file without a pooler (a
// head's, here RobertaForMaskedLM's) builds none, as the file's encoder
// alone computes, and ignores lm_head; HF's own RobertaModel would add a
// random one.
func TestRobertaBareModel(t *testing.T) {
	dir := filepath.Join(fixtures, "roberta-mlm")
	m, err := models.Load(dir, models.Options{Architecture: "RobertaModel"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	enc := m.(*Loaded).Head.(*Model)
	if enc.Pooler != nil {
		t.Errorf("a pooler was built for a file without one")
	}
	want := modeltest.Expected(t, dir)
	c := modeltest.Cases(t, dir)[2] // left-padded
	out, err := enc.Forward(Input{IDs: c.Tensor(t, "input_ids"), Mask: c.Tensor(t, "attention_mask")}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	checkHidden(t, c, want, out, c.Rows(t, "attention_mask"))
}
