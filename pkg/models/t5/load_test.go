package t5

import (
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
)

// TestAutoLoadAndSaveRoundTrip loads t5 and mt5 through models.Load, saves
// them with weights.Save (no tied copies, as save_pretrained writes), loads
// the saved directory again and expects identical logits. GOTRL_SAVE_DIR
// keeps the saved directories for scripts/fixtures/roundtrip_check.py.
func TestAutoLoadAndSaveRoundTrip(t *testing.T) {
	for _, name := range []string{"t5", "mt5"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(fixtures, name)
			m, err := models.Load(dir, models.Options{Device: gotch.CPU})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			again := modeltest.SaveAndReload(t, m, name)
			c := modeltest.Cases(t, dir)[1]
			var outs []*Output
			for _, l := range []models.Model{m, again} {
				o, err := l.(*Seq2SeqLM).Model.Forward(c.Tensor(t, "input_ids"), c.Tensor(t, "attention_mask"),
					c.Tensor(t, "decoder_input_ids"), c.Tensor(t, "decoder_attention_mask"), nil, false)
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
				outs = append(outs, o)
			}
			if d, err := modeltest.MaxDiff(outs[0].Logits, outs[1].Logits, c.Rows(t, "decoder_attention_mask")); err != nil || d != 0 {
				t.Errorf("reloaded logits differ by %g (%v)", d, err)
			}
		})
	}
}
