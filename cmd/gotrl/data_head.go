package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
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
					cells[j] = cell(cellText(v), f.Width)
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

// cellText is how a field's value reads in a cell: a string as it is, a
// whole number whole, another float to 4 digits (scores, not their last digits), anything else
// (nested objects and lists, null, booleans) as the JSON it came from.
func cellText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 { // ids and counts whole
			return strconv.FormatFloat(v, 'f', 0, 64)
		}
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// cell makes a value fit one line of a table cell (MarkdownTable escapes it).
func cell(s string, width int) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " / ")), " ")
	if rs := []rune(s); len(rs) > width {
		s = string(rs[:width]) + "…"
	}
	return s
}
