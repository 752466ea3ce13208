package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
)

func newDataTriplesCmd() *cobra.Command {
	var skipBad, skipEmpty bool
	var sep string
	cmd := &cobra.Command{
		Use:   "triples FILE OUT.jsonl",
		Short: "Turn fault reports with spo_list into prompt/response records for generative extraction",
		Long: "Reads the fault-IE layout {\"ID\",\"text\",\"spo_list\":[{\"h\":{\"name\",\"pos\"},\"t\":{\"name\",\"pos\"},\"relation\"}]}\n" +
			"(JSONL, or any format gotrl reads) and writes {\"prompt\": text, \"response\": answer, \"group\": ID}, the\n" +
			"answer being one head_relation_tail per line, as `gotrl eval triples` scores it. Every entity's pos must\n" +
			"select its name from the text (in characters); a record where it does not is an error naming it.",
		Example: "  gotrl data triples runs/ie-split/train.jsonl runs/ie-train.jsonl",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			exs, st, err := data.FaultIE(args[0], data.Options{SkipBad: skipBad})
			if err != nil {
				return err
			}
			var rs []data.Record
			empty := 0
			for _, ex := range exs {
				if ex.Response == "" && skipEmpty {
					empty++
					continue
				}
				answer := ex.Response
				if sep != "" {
					answer = strings.ReplaceAll(answer, "\n", sep)
				}
				rs = append(rs, data.Record{Fields: map[string]any{"prompt": ex.Prompt, "response": answer, "group": ex.Group}})
			}
			if err := writeRecords(args[1], rs); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, %d written to %s", args[0], st, len(rs), args[1])
			if skipEmpty {
				fmt.Fprintf(cmd.OutOrStdout(), " (%d without triples left out)", empty)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVar(&sep, "separator", "", "string between an answer's triples instead of a line break (BERT's tokenizer drops line breaks: give data triples and eval triples the same, e.g. '；')")
	cmd.Flags().BoolVar(&skipEmpty, "skip-empty", false, "leave out reports without triples (SFT needs a non-empty answer; keep them in a test split)")
	cmd.Flags().BoolVar(&skipBad, "skip-bad", false, "skip malformed records (and count them) instead of stopping")
	return cmd
}
