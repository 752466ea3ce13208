package generate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// CarryDefaults copies the generation defaults of the model directory from
// (its generation_config.json) into the directory to, where a model trained
// from it is saved, as transformers' save_pretrained writes a generative
// model's generation_config beside its weights: generating from the
// trained model then starts from the same defaults. A directory without
// the file gives nothing to copy (its defaults come from config.json,
// which the model's save writes). from "" (a fresh model) copies nothing.
func CarryDefaults(from, to string) error {
	if from == "" {
		return nil
	}
	src, dst := filepath.Join(from, GenerationConfigFile), filepath.Join(to, GenerationConfigFile)
	err := safetensors.CopyAtomic(src, dst)
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOTDIR): // no file, or from is a file
		return nil
	case err != nil:
		return fmt.Errorf("generation defaults: copy %s to %s: %w", src, dst, err)
	}
	return nil
}
