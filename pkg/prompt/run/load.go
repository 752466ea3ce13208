package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/t5"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// Load reads a model directory (HF layout) and returns its family's
// runner: bert, roberta, xlm-roberta → cloze scoring with their
// ForMaskedLM, gpt2 → decoder
// log-likelihood, t5/mt5 → encoder-decoder log-likelihood. pad is the
// tokenizer's [PAD] id (BERT batches are padded with it). Soft tokens saved
// beside the weights (SoftFile) are loaded too.
func Load(dir string, dev gotch.Device, pad int64) (*Runner, error) {
	_, family, err := models.ReadConfig(dir, "")
	if err != nil {
		return nil, err
	}
	var r *Runner
	switch family {
	case "bert", "roberta", "xlm-roberta":
		m, store, err := bert.LoadMaskedLM(dir, dev)
		if err != nil {
			return nil, err
		}
		r = NewMLM(m, store, pad)
	case "gpt2":
		m, store, err := gpt2.Load(dir, dev)
		if err != nil {
			return nil, err
		}
		r = NewDecoder(m, store)
	case "t5", "mt5":
		m, store, err := t5.Load(dir, dev)
		if err != nil {
			return nil, err
		}
		r = NewSeq2Seq(m, store)
	default:
		return nil, fmt.Errorf("prompt runner for %s: model_type %q is not supported (want bert, roberta, xlm-roberta, gpt2, t5 or mt5)", dir, family)
	}
	if err := r.loadSoft(filepath.Join(dir, SoftFile)); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// loadSoft reads soft tokens from path when the file exists.
func (r *Runner) loadSoft(path string) (err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	ts, err := weights.ReadTensors(path, r.store.Device())
	if err != nil {
		return fmt.Errorf("soft tokens: %w", err)
	}
	defer func() {
		for _, t := range ts {
			tensor.Free(t)
		}
	}()
	w, ok := ts[SoftName]
	if !ok || w.Dim() != 2 {
		return fmt.Errorf("soft tokens %s: no 2-D tensor %q", path, SoftName)
	}
	soft, err := r.WithSoft(int(tensor.Shape(w)[0]))
	if err != nil {
		return err
	}
	if err := tensor.CopyInto(soft.Weight, w); err != nil {
		return fmt.Errorf("soft tokens %s: %w", path, err)
	}
	return nil
}

// Save writes the model in HF layout (config.json with model_type and
// architectures, model.safetensors), so Load and transformers'
// from_pretrained read it back, and the soft tokens, if any, to SoftFile.
func (r *Runner) Save(dir string) error {
	cfg, family, arch := r.f.config()
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	c["model_type"], c["architectures"] = family, []string{arch}
	skipSoft := func(name string) (string, bool) { return name, !nn.Prefixed(name, "prompt_encoder") }
	if err := weights.Save(dir, r.store, c, weights.SaveOptions{Rename: skipSoft}); err != nil {
		return err
	}
	if f, ok := r.f.(*mlm); ok && f.soft != nil {
		return weights.SaveTensors(filepath.Join(dir, SoftFile), map[string]*tensor.Tensor{SoftName: f.soft.Weight})
	}
	return nil
}
