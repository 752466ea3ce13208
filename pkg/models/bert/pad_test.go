package bert

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/internal/modeltest"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestPadTokenNull: pad_token_id null, as transformers reads it (None),
// leaves the word embeddings without a padding row: row 0 starts random and
// a real token 0 trains it, where pad_token_id 0 (BertConfig's default)
// zeroes it and keeps its lookup's gradient at zero (the decoder is untied,
// whose logits would train every row). The null survives a save, the
// model names no pad id, and RoBERTa, which numbers positions from its pad,
// refuses it.
func TestPadTokenNull(t *testing.T) {
	const shape = `"vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 24, "max_position_embeddings": 16, "tie_word_embeddings": false`
	for _, c := range []struct {
		name, pad string
		padRow    bool
	}{
		{"pad 0", `"pad_token_id": 0`, true},
		{"no key", ``, true},
		{"null", `"pad_token_id": null`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := "{" + shape
			if c.pad != "" {
				raw += ", " + c.pad
			}
			cfg, err := ParseConfig([]byte(raw + "}"))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.PadTokenID == nil; got == c.padRow {
				t.Fatalf("PadTokenID %v, want a pad row: %v", cfg.PadTokenID, c.padRow)
			}
			saved, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if null := strings.Contains(string(saved), `"pad_token_id":null`); null == c.padRow {
				t.Errorf("saved config %s: pad_token_id null %v, want %v", saved, null, !c.padRow)
			}
			if want := map[bool]int64{true: 0, false: -1}[c.padRow]; cfg.pad() != want {
				t.Errorf("pad() = %d, want %d", cfg.pad(), want)
			}
			tensor.Seed(3)
			store := nn.NewStore(gotch.CPU)
			defer store.Close()
			m, err := NewMaskedLM(store.Root(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			word := "bert.embeddings.word_embeddings.weight"
			v, ok := store.Get(word)
			if !ok {
				t.Fatalf("no %s in %v", word, store.Names())
			}
			row := func(x *tensor.Tensor) []float32 {
				r, err := x.Select(0, 0, false)
				if err != nil {
					t.Fatal(err)
				}
				defer tensor.Free(r)
				vals, err := tensor.Float32s(r)
				if err != nil {
					t.Fatal(err)
				}
				return vals
			}
			zero := func(xs []float32) bool {
				for _, x := range xs {
					if x != 0 {
						return false
					}
				}
				return true
			}
			if zero(row(v.T)) != c.padRow {
				t.Errorf("row 0 of the word embeddings zero at init: %v, want %v", !c.padRow, c.padRow)
			}
			ids, _ := tensor.FromRows([][]int64{{2, 0, 7, 3}}, gotch.CPU) // token 0 in the text
			defer tensor.Free(ids)
			out, err := m.Forward(Input{IDs: ids}, true)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			loss, err := modeltest.Loss(out.Logits, ids)
			if err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(loss)
			if err := loss.Backward(); err != nil {
				t.Fatal(err)
			}
			g, err := v.T.Grad(false)
			if err != nil {
				t.Fatal(err)
			}
			defer tensor.Free(g)
			if zero(row(g)) != c.padRow {
				t.Errorf("row 0's gradient zero: %v, want %v", !c.padRow, c.padRow)
			}
		})
	}
	_, err := ParseConfig([]byte(`{"model_type": "roberta", "pad_token_id": null}`))
	if err == nil || !strings.Contains(err.Error(), `"pad_token_id": null`) {
		t.Errorf("roberta with pad_token_id null: %v, want a refusal naming the field", err)
	}
}
