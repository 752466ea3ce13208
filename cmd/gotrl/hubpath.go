package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/hub"
)

// hubClient is huggingface_hub's environment (HF_HOME, HF_HUB_CACHE,
// HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN), with download progress on w.
func hubClient(w io.Writer) *hub.Client {
	c := hub.FromEnv()
	c.Progress = w
	return c
}

// resolvePath is the one place a flag naming a model or tokenizer
// directory turns into a local path: the value itself when it exists (a
// local directory always wins), else the snapshot of the hub id it spells
// (org/name, name, either with @revision), fetched into the HF cache when
// needed. --tokenizer fetches the tokenizer files only; every other flag
// the model's files. A model flag naming a file is refused.
func resolvePath(ctx context.Context, progress io.Writer, flag, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	want := hub.ModelFiles
	if flag == "tokenizer" {
		want = hub.TokenizerFiles
	}
	dir, err := hubClient(progress).Resolve(ctx, value, want)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	// a model is a directory (config.json beside the weights); a file here
	// is usually its model.safetensors or config.json
	if st, err := os.Stat(dir); err == nil && !st.IsDir() && want == hub.ModelFiles {
		return "", fmt.Errorf("--%s %s is a file: give the model's directory (%s)", flag, value, filepath.Dir(value))
	}
	return dir, nil
}

// resolveFlags runs resolvePath on cmd's named flags and stores the
// result back into them (and so into the fields they are bound to). Call
// it after a config file has been applied, so its values resolve too.
// Names cmd does not bind are skipped.
func resolveFlags(cmd *cobra.Command, names ...string) error {
	for _, name := range names {
		f := cmd.Flags().Lookup(name)
		if f == nil {
			continue
		}
		dir, err := resolvePath(cmd.Context(), cmd.ErrOrStderr(), name, f.Value.String())
		if err != nil {
			return err
		}
		if dir != f.Value.String() {
			if err := f.Value.Set(dir); err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
		}
	}
	return nil
}
