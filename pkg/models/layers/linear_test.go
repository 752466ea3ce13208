package layers

import (
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// plusX is an adapter whose delta is x itself (square projections only).
type plusX struct{}

func (plusX) Delta(x *tensor.Tensor) *tensor.Tensor {
	y, err := x.ShallowClone()
	tensor.Check(err)
	return y
}

// TestProjectionHook: NewLinear and NewConv1D register under their path,
// an adapter's delta is added to the output, and copies of a layer (heads
// embed Linear by value) share the adapter.
func TestProjectionHook(t *testing.T) {
	store := nn.NewStore(gotch.CPU)
	defer store.Close()
	err := tensor.Catch(func() {
		lin := NewLinear(store.Root().Sub("a").Sub("q"), 3, 3, true, 0.5)
		conv := NewConv1D(store.Root().Sub("a").Sub("c_attn"), 3, 3, 0.5)
		copied := *lin
		cases := []struct {
			name    string
			hook    *Hook
			forward func(*tensor.Tensor) *tensor.Tensor
		}{
			{"a.q", lin.Hook, lin.Forward},
			{"a.c_attn", conv.Hook, conv.Forward},
			{"a.q", lin.Hook, copied.Forward},
		}
		for i, c := range cases {
			if got := store.Modules()[i%2].Name; got != c.name {
				t.Errorf("module %d registered as %q, want %q", i, got, c.name)
			}
			s := tensor.NewScope()
			x := s.T(tensor.FromFloat32s([]float32{1, -2, 3, 0.5, 0, -1}, []int64{2, 3}, gotch.CPU))
			c.hook.Adapter = nil
			base, err := tensor.Float32s(s.Add(c.forward(x)))
			tensor.Check(err)
			c.hook.Adapter = plusX{}
			adapted, err := tensor.Float32s(s.Add(c.forward(x)))
			tensor.Check(err)
			want, _ := tensor.Float32s(x)
			for j := range adapted {
				if d := adapted[j] - base[j] - want[j]; d > 1e-6 || d < -1e-6 {
					t.Errorf("case %d: output %d = %g, want base %g + x %g", i, j, adapted[j], base[j], want[j])
				}
			}
			c.hook.Adapter = nil
			s.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
