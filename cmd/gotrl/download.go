package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/hub"
)

func newDownloadCmd() *cobra.Command {
	var revision, cacheDir string
	var tokenizerOnly bool
	cmd := &cobra.Command{
		Use:   "download ORG/NAME[@REVISION]",
		Short: "Fetch a model from the Hugging Face Hub into the HF cache and print its snapshot directory",
		Long: "Fetches the files gotrl's loaders need (config, weights in one format, sharded included, generation\n" +
			"config, tokenizer files, a PEFT adapter) into the cache huggingface_hub uses, so Python reuses them and\n" +
			"the other way round. Environment: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_TOKEN.",
		Example: "  gotrl download uer/gpt2-chinese-cluecorpussmall\n" +
			"  gotrl download bert-base-chinese --cache-dir /data/hf\n" +
			"  gotrl download org/name@v1.0      # or --revision v1.0: a branch, tag or commit",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := hub.ParseID(args[0])
			if err != nil {
				return err
			}
			if id, err = id.WithRevision(revision); err != nil {
				return fmt.Errorf("--revision: %w", err)
			}
			c := hubClient(cmd.ErrOrStderr())
			if cacheDir != "" {
				c.CacheDir = cacheDir
			}
			want := hub.ModelFiles
			if tokenizerOnly {
				want = hub.TokenizerFiles
			}
			dir, err := c.Snapshot(cmd.Context(), id, want)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), dir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&revision, "revision", "", "branch, tag or commit hash (default: main)")
	f.StringVar(&cacheDir, "cache-dir", "", "cache directory (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
	f.BoolVar(&tokenizerOnly, "tokenizer-only", false, "fetch the tokenizer files only")
	return cmd
}
