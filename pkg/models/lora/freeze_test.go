package lora

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/t5"
)

func TestLayerOf(t *testing.T) {
	cases := []struct {
		name, stack string
		layer       int
		ok          bool
	}{
		{"transformer.h.11.attn.c_attn.weight", "transformer.h", 11, true},
		{"bert.encoder.layer.3.attention.self.query.weight", "bert.encoder.layer", 3, true},
		{"encoder.block.1.layer.0.SelfAttention.q.weight", "encoder.block", 1, true},
		{"decoder.block.0.layer.2.DenseReluDense.wo.weight", "decoder.block", 0, true},
		{"h.2.ln_1.weight", "h", 2, true},
		{"transformer.wte.weight", "", 0, false},
		{"shared.weight", "", 0, false},
		{"bert.encoder.layernorm.weight", "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stack, l, ok := layerOf(c.name)
			if stack != c.stack || l != c.layer || ok != c.ok {
				t.Fatalf("layerOf = %q, %d, %v; want %q, %d, %v", stack, l, ok, c.stack, c.layer, c.ok)
			}
		})
	}
}

func loadT5(t *testing.T) *nn.Store {
	_, store, err := t5.Load(filepath.Join(fixtures, "t5"), gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return store
}

func loadGPT2(t *testing.T) *nn.Store {
	store, _ := families[0].load(t)
	return store
}

// TestFreezeAllButTopN counts the trainable parameters of GPT-2 and T5
// (two stacks) by name prefix, independently of the layer parsing.
func TestFreezeAllButTopN(t *testing.T) {
	params := func(store *nn.Store, prefixes ...string) int64 {
		var n int64
		for _, v := range store.Vars() {
			if !v.Buffer && nn.Prefixed(v.Name, prefixes...) {
				n += int64(v.T.Numel())
			}
		}
		return n
	}
	cases := []struct {
		load      func(*testing.T) *nn.Store
		top       int
		frozen    int
		trainable []string // prefixes left trainable
		err       string
	}{
		{load: loadGPT2, top: 0, frozen: 2, trainable: []string{"transformer.ln_f"}},
		{load: loadGPT2, top: 1, frozen: 1, trainable: []string{"transformer.h.1", "transformer.ln_f"}},
		{load: loadGPT2, top: 2, frozen: 0, trainable: []string{"transformer.h", "transformer.ln_f"}},
		{load: loadGPT2, top: 3, err: "top n = 3, but transformer.h has 2 layers"},
		{load: loadGPT2, top: -1, err: "top n = -1"},
		{load: loadT5, top: 1, frozen: 2, trainable: []string{"encoder.block.1", "encoder.final_layer_norm", "decoder.block.1", "decoder.final_layer_norm"}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d/top %d", i, c.top), func(t *testing.T) {
			store := c.load(t)
			frozen, err := FreezeAllButTopN(store, c.top)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if frozen != c.frozen {
				t.Errorf("froze %d layers, want %d", frozen, c.frozen)
			}
			total, trainable := store.NumParams()
			if want := params(store, c.trainable...); trainable != want || want == 0 {
				t.Errorf("trainable %d of %d, want %d", trainable, total, want)
			}
			for _, v := range store.Trainable() {
				if !nn.Prefixed(v.Name, c.trainable...) {
					t.Errorf("%s left trainable", v.Name)
				}
			}
		})
	}
}
