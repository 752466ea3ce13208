package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
)

const evalLong = `Score predictions against references, one record per example with a
"prediction" and a "reference" field (other fields are ignored), in any data
file gotrl reads: JSONL (also under a name that says nothing), a JSON array,
CSV/TSV, Parquet, gzipped. --field want=have reads them under other names,
e.g. --fields reference=title for a file that 'gotrl generate --input' wrote
from CSL records. With --references FILE the references come from a second
file instead, record i scoring prediction i (both files must have as many
records).

Metrics go to stdout as a table, or with --json as one JSON object; scores are
percentages (0–100). --output-file FILE also writes one JSON line of scores per
example (written atomically). A missing or non-string field stops with the
file, line and field named.`

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Score predictions: ROUGE/BLEU for summaries, P/R/F1 for triples, accuracy/macro-F1 for labels",
		Long:  evalLong,
		Example: "  gotrl generate --model-name-or-path runs/sft --input test.jsonl --fields prompt=content --output-file pred.jsonl\n" +
			"  gotrl eval summary --input pred.jsonl --fields reference=title\n" +
			"  gotrl eval triples --input ie_pred.jsonl --fields reference=answer --json\n" +
			"  gotrl eval classify --input cls.jsonl --labels 0,1 --output-file per_example.jsonl",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newEvalSummaryCmd(), newEvalTriplesCmd(), newEvalClassifyCmd())
	return cmd
}

// evalScorer scores the pairs of one subcommand and reports through
// e.report.
type evalScorer func(cmd *cobra.Command, e *evalFlags, exs []evalExample) error

// evalSubcommand completes cmd (use, help texts) as an eval subcommand:
// the shared flags, the pairs read with read, then score.
func evalSubcommand(cmd *cobra.Command, read fieldReader, score evalScorer) *cobra.Command {
	var e evalFlags
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if e.Output != "" {
			if err := checkOutputFile("--output-file", e.Output); err != nil {
				return err
			}
		}
		exs, err := e.examples(read)
		if err != nil {
			return err
		}
		return score(cmd, &e, exs)
	}
	e.bind(cmd)
	return cmd
}

// evalFlags are the flags every eval subcommand shares.
type evalFlags struct {
	Input      string        `yaml:"input"`
	References string        `yaml:"references" help:"data file of {\"reference\"} records, the i-th for the i-th prediction (default: --input's)"`
	Fields     []string      `yaml:"fields" alias:"field"`
	JSON       bool          `yaml:"json" help:"print the metrics as one JSON object"`
	Output     string        `yaml:"output_file" alias:"output"`
	fieldMap   data.FieldMap // parsed --fields
}

func (e *evalFlags) bind(cmd *cobra.Command) {
	mustBind(cmd, e)
	_ = cmd.MarkFlagRequired("input")
}

// evalExample is one (prediction, reference) pair and where each was read.
type evalExample struct {
	Pos, RefPos           data.Pos
	Prediction, Reference string
}

// fieldReader reads one field of a record as a subcommand needs it (a
// string for texts, a string or an integer for labels).
type fieldReader func(r data.Record, name string) (string, error)

// examples reads the pairs; errors name file:line and field.
func (e *evalFlags) examples(read fieldReader) ([]evalExample, error) {
	fm, err := data.ParseFieldMap(e.Fields)
	if err != nil {
		return nil, fmt.Errorf("--field: %w", err)
	}
	e.fieldMap = fm
	read = withFieldHint(read)
	var out []evalExample
	_, err = data.Read(e.Input, data.Options{Format: inputFormat(e.Input), Fields: fm}, func(r data.Record) (err error) {
		ex := evalExample{Pos: r.Pos, RefPos: r.Pos}
		if ex.Prediction, err = read(r, "prediction"); err != nil {
			return err
		}
		if e.References == "" {
			if ex.Reference, err = read(r, "reference"); err != nil {
				return err
			}
		}
		out = append(out, ex)
		return nil
	})
	if err != nil || e.References == "" {
		return out, err
	}
	n := 0
	_, err = data.Read(e.References, data.Options{Format: inputFormat(e.References), Fields: fm}, func(r data.Record) (err error) {
		if n < len(out) {
			out[n].RefPos = r.Pos
			out[n].Reference, err = read(r, "reference")
		}
		n++
		return err
	})
	if err == nil && n != len(out) {
		err = fmt.Errorf("%s has %d records but %s has %d: with --references the i-th reference scores the i-th prediction, so both need as many", e.Input, len(out), e.References, n)
	}
	return out, err
}

// fieldError is a RecordError for a value found bad after reading; like
// the readers' own, it names the file's field when --field renamed it.
func (e *evalFlags) fieldError(pos data.Pos, field string, err error) error {
	return &data.RecordError{Pos: pos, Field: field, Source: e.fieldMap[field], Err: err}
}

// withFieldHint adds to a missing-field error the fields the record has,
// and the --field flag that would read one of them instead.
func withFieldHint(read fieldReader) fieldReader {
	return func(r data.Record, name string) (string, error) {
		s, err := read(r, name)
		if err != nil && !r.Has(name) {
			have := slices.Sorted(maps.Keys(r.Fields))
			err = fmt.Errorf("%w (the record has %s: read one with --field %s=NAME)", err, strings.Join(have, ", "), name)
		}
		return s, err
	}
}

// textField reads a string field; an empty string is a valid (wrong) answer.
func textField(r data.Record, name string) (string, error) { return r.String(name) }

// report prints the metrics (a table, or JSON with --json) and writes the
// per-example lines to --output.
func (e *evalFlags) report(w io.Writer, table string, metrics any, perExample []any) error {
	if e.Output != "" {
		if err := writeJSONL(e.Output, perExample); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
	}
	if !e.JSON {
		_, err := io.WriteString(w, table)
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(metrics)
}

// pct formats a fraction as a percentage for tables.
func pct(x float64) string { return fmt.Sprintf("%.2f", 100*x) }
