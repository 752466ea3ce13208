package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/prompt/run"
)

func newPromptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prompt",
		Short: "Prompt learning: render templates, evaluate and PET-train prompt classifiers",
	}
	cmd.AddCommand(newPromptSplitCmd())
	return cmd
}

// splitFlags select labeled examples: a file and one side of a seeded split.
type splitFlags struct {
	data     string
	testSize int
	seed     uint64
	part     string
}

func (s *splitFlags) bind(cmd *cobra.Command, part string) {
	f := cmd.Flags()
	f.StringVar(&s.data, "data", "", `labeled data: CSV or JSONL with "label" and "review"`)
	f.IntVar(&s.testSize, "test-size", 500, "examples held out as the test side of the split")
	f.Uint64Var(&s.seed, "split-seed", 1, "seed of the train/test split")
	f.StringVar(&s.part, "part", part, "side of the split to read: train, test or all")
}

func newPromptSplitCmd() *cobra.Command {
	var s splitFlags
	var format string
	cmd := &cobra.Command{
		Use:   "split",
		Short: "Print one side of a seeded train/test split (text lines for a pretraining corpus, or JSONL)",
		Example: "  gotrl prompt split --data ../shared/data/chnsenticorp/ChnSentiCorp_htl_all.csv --part train > reviews.txt\n" +
			"  gotrl prompt split --data reviews.csv --part test --format jsonl > test.jsonl",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			xs, err := run.ReadLabeled(s.data, s.testSize, s.seed, run.Part(s.part))
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			for _, x := range xs {
				switch format {
				case "text":
					fmt.Fprintln(w, strings.Join(strings.Fields(x.Text), " "))
				case "jsonl":
					b, _ := json.Marshal(map[string]any{"label": x.Label, "review": x.Text})
					fmt.Fprintln(w, string(b))
				default:
					return fmt.Errorf("--format %q: want text or jsonl", format)
				}
			}
			return nil
		},
	}
	s.bind(cmd, "train")
	cmd.Flags().StringVar(&format, "format", "text", "text (one review per line) or jsonl")
	return cmd
}
