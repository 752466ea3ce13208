package nn

import (
	"errors"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	s := NewStore(gotch.CPU)
	if err := tensor.Catch(func() {
		h := s.Root().Sub("transformer").Sub("h")
		for _, i := range []string{"0", "1"} {
			l := h.Sub(i)
			l.Param("attn.weight", []int64{4, 4}, Normal(0.02))
			l.Param("attn.bias", []int64{4}, Zeros())
		}
		s.Root().Sub("transformer").Buffer("position_ids", []int64{8}, Zeros())
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreNamesParamsAndDecay(t *testing.T) {
	s := newTestStore(t)
	defer s.Close()
	want := []string{"transformer.h.0.attn.bias", "transformer.h.0.attn.weight", "transformer.h.1.attn.bias", "transformer.h.1.attn.weight", "transformer.position_ids"}
	if got := strings.Join(s.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("names %s", got)
	}
	total, trainable := s.NumParams()
	if total != 40 || trainable != 40 {
		t.Fatalf("params %d/%d, want 40/40 (buffers excluded)", total, trainable)
	}
	for _, v := range s.Vars() {
		if wantNoDecay := !strings.HasSuffix(v.Name, "weight"); v.NoDecay != wantNoDecay {
			t.Errorf("%s: NoDecay %v", v.Name, v.NoDecay)
		}
	}
	if len(s.Trainable()) != 4 {
		t.Fatalf("%d trainable vars, want 4", len(s.Trainable()))
	}
}

func TestStoreFreezeKeepsHandles(t *testing.T) {
	s := newTestStore(t)
	defer s.Close()
	v, _ := s.Get("transformer.h.0.attn.weight")
	before := v.T
	if err := s.Freeze(`^transformer\.h\.0\.`); err != nil {
		t.Fatal(err)
	}
	if _, trainable := s.NumParams(); trainable != 20 {
		t.Fatalf("trainable %d after freezing layer 0, want 20", trainable)
	}
	if v.T != before {
		t.Fatal("freezing replaced the tensor handle the layers hold")
	}
	if rg, _ := v.T.RequiresGrad(); rg {
		t.Fatal("frozen weight still requires grad")
	}
	if err := s.Freeze(`(`); err == nil || !strings.Contains(err.Error(), "freeze pattern") {
		t.Fatalf("bad pattern: %v", err)
	}
}

func TestStoreDuplicateNameIsAnError(t *testing.T) {
	s := NewStore(gotch.CPU)
	defer s.Close()
	err := tensor.Catch(func() {
		s.Root().Param("w", []int64{2}, Ones())
		s.Root().Param("w", []int64{2}, Ones())
	})
	var te *tensor.Error
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "w already exists") {
		t.Fatalf("duplicate parameter: %v", err)
	}
}
