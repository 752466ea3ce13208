package rlhf

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/train"
)

// fixedBatches hands out fixed micro-batches in order.
type fixedBatches []data.Batch

func (bs fixedBatches) Batches() int { return len(bs) }
func (bs fixedBatches) Next(c data.Cursor) (data.Batch, data.Cursor, error) {
	b := bs[c.Index]
	c.Index++
	if c.Index == len(bs) {
		c = data.Cursor{Epoch: c.Epoch + 1}
	}
	return b, c, nil
}

// TestGradAccumWeighsTokens: one step of the causal stage (sft, pretrain)
// on the GPT-2 fixture with 2 accumulated micro-batches of one row each,
// learning 5 and 2 tokens, gives the loss and gradient norm of the mean
// over the step's tokens (testdata/gradaccum, make_grad_accum.py): what
// transformers ≥ 4.47 computes with num_items_in_batch, and what makes 2
// data-parallel ranks equal one process with their batches. transformers
// 4.46.3 instead back-propagates each micro-batch's mean for GPT-2 (its
// Trainer's grad_norm, also recorded, is 2 × the mean of means'):
// docs/trl-options.md says so.
func TestGradAccumWeighsTokens(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "gradaccum", "gpt2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Rows      [][]int64 `json:"rows"`
		Accum     int       `json:"gradient_accumulation_steps"`
		TokenNorm float64   `json:"token_weighted_grad_norm"`
		TokenLoss float64   `json:"token_weighted_loss"`
		MeanNorm  float64   `json:"mean_of_means_grad_norm"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	m, err := models.Load(fixture("gpt2"), models.Options{Device: gotch.CPU, Task: models.TaskLM,
		Tokens: &models.Tokens{BOS: -1, EOS: -1, Pad: 0, DecoderStart: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var bs fixedBatches
	for _, r := range ref.Rows {
		mask := make([]int64, len(r))
		for i := range mask {
			mask[i] = 1
		}
		bs = append(bs, data.Batch{InputIDs: [][]int64{r}, AttentionMask: [][]int64{mask}, TypeIDs: [][]int64{make([]int64, len(r))},
			Labels: [][]int64{append([]int64(nil), r...)}, Lens: []int{len(r)}})
	}
	cfg := train.DefaultConfig()
	cfg.OutputDir, cfg.MaxSteps, cfg.BatchSize, cfg.Accum = t.TempDir(), 1, 1, ref.Accum
	cfg.MaxGradNorm, cfg.Metric, cfg.BF16 = 1e6, "", train.BF16Off
	l, err := train.New[data.Batch](cfg, CausalStage(m.(models.LM)), bs)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := l.Step()
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(rec["grad_norm"] - ref.TokenNorm); d > 1e-4*ref.TokenNorm {
		t.Errorf("grad_norm %v, want the token-weighted %v (the mean of micro-batch means would be %v)", rec["grad_norm"], ref.TokenNorm, ref.MeanNorm)
	}
	if d := math.Abs(rec["loss"] - ref.TokenLoss); d > 1e-4 {
		t.Errorf("loss %v, want the token-weighted %v", rec["loss"], ref.TokenLoss)
	}
}
