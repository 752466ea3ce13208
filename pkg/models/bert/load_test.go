package bert

import (
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
)

// TestAutoLoadAndSaveRoundTrip loads each fixture through models.Load (the
// config's architecture picks the head), saves it with weights.Save, loads
// the saved directory again and expects the same logits. GOTRL_SAVE_DIR
// keeps the saved directories for scripts/fixtures/roundtrip_check.py.
func TestAutoLoadAndSaveRoundTrip(t *testing.T) {
	tests := []struct {
		dir, override string
		logits        func(models.Model, Input) (*Output, error)
	}{
		{"bert", "", func(m models.Model, in Input) (*Output, error) {
			o, err := m.(*Loaded).Head.(*PreTraining).Forward(in, false)
			if err != nil {
				return nil, err
			}
			tensor.Free(o.NSPLogits)
			return o.Output, nil
		}},
		{"bert-seqcls", "", func(m models.Model, in Input) (*Output, error) {
			return m.(*SequenceClassifier).loaded.Head.(*SequenceClassification).Forward(in, false)
		}},
		{"bert-unilm", "bert", func(m models.Model, in Input) (*Output, error) { return m.(*MLM).MaskedLM.Forward(in, false) }},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join(fixtures, tt.dir)
			m, err := models.Load(dir, models.Options{Device: gotch.CPU, ModelType: tt.override})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			again := modeltest.SaveAndReload(t, m, tt.dir)
			c := modeltest.Cases(t, dir)[0]
			in, mask := input(t, c)
			a, err := tt.logits(m, in)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := tt.logits(again, in)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if d, err := modeltest.MaxDiff(a.Logits, b.Logits, maskFor(a.Logits, mask)); err != nil || d != 0 {
				t.Errorf("reloaded logits differ by %g (%v)", d, err)
			}
		})
	}
}
