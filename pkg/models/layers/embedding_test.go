package layers

import (
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestPaddedEmbedding: the padding row starts at zero and, unlike the
// other looked-up rows, gets no gradient (torch padding_idx).
func TestPaddedEmbedding(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	err := tensor.Catch(func() {
		e := NewEmbedding(store.Root().Sub("emb"), 4, 3, 1).Padded(2)
		s := tensor.NewScope()
		defer s.Close()
		ids := s.T(tensor.FromInt64s([]int64{2, 1, 2}, []int64{3}, gotch.CPU))
		out := s.Add(e.Forward(ids)) // [3, 3]
		tensor.Check(s.T(out.Sum(gotch.Float, false)).Backward())
		w, err := tensor.Float32s(e.Weight)
		tensor.Check(err)
		g, err := tensor.Float32s(s.T(e.Weight.Grad(false)))
		tensor.Check(err)
		for j := 6; j < 9; j++ { // row 2
			if w[j] != 0 || g[j] != 0 {
				t.Errorf("padding row: weight %v grad %v, want zeros", w[6:9], g[6:9])
				break
			}
		}
		if g[3] != 1 || g[0] != 0 { // row 1 looked up once, row 0 never
			t.Errorf("grad rows 0, 1 = %v, %v; want 0, 1", g[0:3], g[3:6])
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
