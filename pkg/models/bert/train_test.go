package bert

import (
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestTrainStepReachesEveryParameter builds each head from scratch (standard
// init), runs one training forward with dropout and the UniLM mask, and
// asserts every trainable parameter gets a non-zero gradient.
func TestTrainStepReachesEveryParameter(t *testing.T) {
	c := DefaultConfig()
	c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads = 40, 16, 2, 2
	c.IntermediateSize, c.MaxPositionEmbeddings, c.TypeVocabSize = 24, 16, 3
	ids, _ := tensor.FromRows([][]int64{{2, 5, 7, 3, 9, 11}, {2, 6, 3, 8, 0, 0}}, gotch.CPU)
	types, _ := tensor.FromRows([][]int64{{0, 0, 0, 0, 1, 2}, {0, 0, 0, 1, 0, 0}}, gotch.CPU)
	mask, _ := tensor.FromRows([][]int64{{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}}, gotch.CPU)
	labels, _ := tensor.FromRows([][]int64{{1, 0}}, gotch.CPU)
	defer tensor.Free(ids, types, mask, labels)
	in := Input{IDs: ids, TypeIDs: types, Mask: mask, UniLM: true}
	type head interface {
		Forward(Input, bool) (*Output, error)
	}
	tests := []struct {
		name   string
		build  func(*nn.Path, Config) (head, error)
		labels *tensor.Tensor
	}{
		{"masked-lm", func(p *nn.Path, c Config) (head, error) { return NewMaskedLM(p, c) }, ids},
		{"sequence-classification", func(p *nn.Path, c Config) (head, error) { return NewSequenceClassification(p, c) }, labels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := nn.NewStore(gotch.CPU)
			defer store.Close()
			m, err := tt.build(store.Root(), c)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Forward(in, true)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			loss, err := modeltest.Loss(out.Logits, tt.labels)
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
