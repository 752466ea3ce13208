package gpt2

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// TestStepGreedyIsArgmax: greedy generation through StepGreedy gives the
// ids generation through the logits gives (OutputScores forces those),
// for weights as stored and packed in float32 (the head [in, out], as
// gotrl generate runs it), a tied and an untied head, batch 1 and a
// left-padded batch, at every vector width; the screen chooses where the
// head runs float32 with vector lanes, and leaves the choice to the
// logits for heads packed in bfloat16 or int8. Nothing is left allocated.
func TestStepGreedyIsArgmax(t *testing.T) {
	cases := []struct {
		name     string
		prec     layers.Precision
		untied   bool
		screened bool
	}{
		{"stored", layers.None, false, true},
		{"packed fp32", layers.FP32, false, true},
		{"untied, stored", layers.None, true, true},
		{"untied, packed fp32", layers.FP32, true, true},
		{"packed bf16", layers.BF16, false, false},
		{"packed int8", layers.Int8, false, false},
	}
	defer ext.Lanes(ext.Lanes(0))
	for _, c := range cases {
		for _, lanes := range widths() {
			ext.Lanes(lanes)
			t.Run(fmt.Sprintf("%s/lanes %d", c.name, lanes), func(t *testing.T) {
				cfg := Default()
				cfg.NLayer, cfg.NEmbd, cfg.NHead, cfg.VocabSize, cfg.NPositions = 2, 48, 4, 1001, 64
				if c.untied {
					cfg.TieWordEmbeddings = new(bool)
				}
				tensor.Seed(11)
				store := nn.NewStore(gotch.CPU)
				defer store.Close()
				m, err := New(store.Root(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				extra := []*layers.Linear{}
				if !c.untied {
					extra = append(extra, &m.LM.Linear) // tied: the store does not list it
				}
				if err := layers.Quantize(store, c.prec, extra...); err != nil {
					t.Fatal(err)
				}
				prompts := [][][]int64{{{5, 17, 300, 42}}, {{5, 17, 300, 42}, {0, 0, 9, 800}, {0, 77, 3, 3}}}
				masks := [][][]int64{nil, {{1, 1, 1, 1}, {0, 0, 1, 1}, {0, 1, 1, 1}}}
				for i, ids := range prompts {
					live := tensor.Live()
					before := screenedSteps.Load()
					gc := generate.Default()
					gc.MaxNewTokens = 12
					chosen, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: ids, Mask: masks[i]}, gc)
					if err != nil {
						t.Fatal(err)
					}
					screened := screenedSteps.Load() - before
					gc.OutputScores = true
					read, err := generate.Generate(context.Background(), m.Stepper(), generate.Batch{IDs: ids, Mask: masks[i]}, gc)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.EqualFunc(chosen.Sequences, read.Sequences, slices.Equal) {
						t.Errorf("batch %d: StepGreedy gave %v, the logits %v", len(ids), chosen.Sequences, read.Sequences)
					}
					if want := c.screened && lanes > 1; (screened > 0) != want {
						t.Errorf("batch %d: %d steps screened, want them screened: %v", len(ids), screened, want)
					}
					if chosen.LogProbs != nil || read.LogProbs == nil {
						t.Errorf("batch %d: log-probs %v without output_scores, %v with", len(ids), chosen.LogProbs, read.LogProbs)
					}
					if n := tensor.Live(); n != live {
						t.Errorf("batch %d: %d tensors live after generating, %d before", len(ids), n, live)
					}
				}
			})
		}
	}
}
