package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/train"
)

func newDataHeadCmd() *cobra.Command {
	f := struct {
		Rows  int `yaml:"rows" short:"n" min:"1" help:"records to print"`
		Width int `yaml:"width" min:"1" help:"characters per cell at most"`
	}{Rows: 10, Width: 80}
	var cols []string
	cmd := &cobra.Command{
		Use:   "head FILE",
		Short: "Print the first records of a data file as a Markdown table",
		Long: "Prints the first --rows records' --columns (default: every field of the first record) as a Markdown\n" +
			"table, each cell on one line and cut to --width characters: the samples table of a recipe's report.",
		Example: "  gotrl data head pred.jsonl -n 10 --columns prompt,title,prediction",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rows [][]string
			_, err := data.Read(args[0], data.Options{}, func(r data.Record) error {
				if len(rows) >= f.Rows {
					return nil
				}
				if len(cols) == 0 {
					cols = slices.Sorted(maps.Keys(r.Fields))
				}
				cells := make([]string, len(cols))
				for j, c := range cols {
					v, err := r.Value(c)
					if err != nil {
						return err
					}
					if f, ok := v.(float64); ok {
						v = strconv.FormatFloat(f, 'g', 4, 64) // scores, not their last digits
					}
					cells[j] = cell(fmt.Sprint(v), f.Width)
				}
				rows = append(rows, cells)
				return nil
			})
			if err != nil || len(rows) == 0 {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), train.MarkdownTable(cols, rows))
			return err
		},
	}
	mustBind(cmd, &f)
	cmd.Flags().StringSliceVar(&cols, "columns", nil, "fields to print, in order (comma-separated)")
	return cmd
}

// cell makes a value fit one line of a table cell (MarkdownTable escapes it).
func cell(s string, width int) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " / ")), " ")
	if rs := []rune(s); len(rs) > width {
		s = string(rs[:width]) + "…"
	}
	return s
}
