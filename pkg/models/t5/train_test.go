package t5

import (
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestTrainStepReachesEveryParameter builds T5 v1.0 and mT5 from scratch,
// runs one training forward with dropout and padding on both sides, and
// asserts every trainable parameter gets a non-zero gradient.
func TestTrainStepReachesEveryParameter(t *testing.T) {
	ids, _ := tensor.FromRows([][]int64{{5, 6, 7, 1}, {8, 1, 0, 0}}, gotch.CPU)
	mask, _ := tensor.FromRows([][]int64{{1, 1, 1, 1}, {1, 1, 0, 0}}, gotch.CPU)
	dec, _ := tensor.FromRows([][]int64{{0, 9, 10}, {0, 11, 0}}, gotch.CPU)
	decMask, _ := tensor.FromRows([][]int64{{1, 1, 1}, {1, 1, 0}}, gotch.CPU)
	labels, _ := tensor.FromRows([][]int64{{9, 10, 1}, {11, 1, -100}}, gotch.CPU)
	defer tensor.Free(ids, mask, dec, decMask, labels)
	for _, modelType := range []string{"t5", "mt5"} {
		t.Run(modelType, func(t *testing.T) {
			c := DefaultConfig()
			if modelType == "mt5" {
				c = DefaultMT5Config()
			}
			c.VocabSize, c.DModel, c.DKV, c.DFF, c.NumLayers, c.NumHeads = 20, 8, 6, 12, 2, 2
			store := nn.NewStore(gotch.CPU)
			defer store.Close()
			m, err := New(store.Root(), c)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Forward(ids, mask, dec, decMask, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			loss, err := modeltest.Loss(out.Logits, labels)
			if err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(loss)
			if err := loss.Backward(); err != nil {
				t.Fatal(err)
			}
			missing, err := modeltest.WithoutGrad(store)
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) > 0 {
				t.Errorf("no gradient for %v", missing)
			}
		})
	}
}
