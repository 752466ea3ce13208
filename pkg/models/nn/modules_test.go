package nn

import (
	"slices"
	"testing"

	"github.com/gotrl/gotrl/internal/tensor"
)

func TestModulesAndDelete(t *testing.T) {
	s := newTestStore(t)
	defer s.Close()
	h := s.Root().Sub("transformer").Sub("h")
	for _, p := range []*Path{h.Sub("0").Sub("attn"), h.Sub("1").Sub("attn")} {
		s.RegisterModule(p.Prefix(), p)
	}
	var names []string
	for _, m := range s.Modules() {
		names = append(names, m.Name)
	}
	if want := []string{"transformer.h.0.attn", "transformer.h.1.attn"}; !slices.Equal(names, want) {
		t.Fatalf("modules %v, want %v", names, want)
	}

	live := tensor.Live()
	if !s.Delete("transformer.h.0.attn.weight") {
		t.Fatal("Delete of an existing variable reported false")
	}
	if s.Delete("transformer.h.0.attn.weight") {
		t.Fatal("second Delete reported true")
	}
	if _, ok := s.Get("transformer.h.0.attn.weight"); ok {
		t.Fatal("deleted variable still found")
	}
	if d := live - tensor.Live(); d != 1 {
		t.Fatalf("Delete freed %d tensors, want 1", d)
	}
	if total, _ := s.NumParams(); total != 24 {
		t.Fatalf("params %d after deleting a 4×4 weight, want 24", total)
	}
}
