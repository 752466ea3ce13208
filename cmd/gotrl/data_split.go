package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// dataSplitFlags are `gotrl data split`'s settings.
type dataSplitFlags struct {
	TestSize int    `yaml:"test_size" help:"examples held out as the test side of the split"`
	Seed     int64  `yaml:"split_seed" help:"seed of the train/test split"`
	GroupBy  string `yaml:"group_by" help:"keep records sharing this field's value on one side (e.g. article_id for CMRC)"`
	Format   string `yaml:"format"`
	SkipBad  bool   `yaml:"skip_bad"`
}

func newDataSplitCmd() *cobra.Command {
	s := dataSplitFlags{TestSize: 500, Seed: 1}
	cmd := &cobra.Command{
		Use:   "split FILE OUT_DIR",
		Short: "Hold out a seeded test split: OUT_DIR/train.jsonl and OUT_DIR/test.jsonl, the file's records unchanged",
		Long: "Reads any data file gotrl reads (JSON array, JSONL, CSV/TSV, Parquet, SQuAD layout, .gz) and writes its\n" +
			"records as JSONL, --test-size of them (whole groups with --group-by) to test.jsonl and the rest to\n" +
			"train.jsonl, both in file order. The same file, size and seed always give the same split, so a test\n" +
			"side stays out of every training set built from the train side. SQuAD files give one record per\n" +
			"question with context, question, answers, title, article_id and paragraph_id.",
		Example: "  gotrl data split ../shared/data/csl-summarization/csl.json runs/csl-split --test-size 150\n" +
			"  gotrl data split ../shared/data/cmrc2018/cmrc_dev.json runs/cmrc-split --test-size 300 --group-by article_id",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := data.ParseFormat(s.Format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			if s.TestSize <= 0 {
				return fmt.Errorf("--test-size %d: want at least 1", s.TestSize)
			}
			opt := data.Options{Format: format, SkipBad: s.SkipBad}
			train, test, err := data.SplitRecords(args[0], opt, s.GroupBy, data.SplitOptions{Seed: uint64(s.Seed), Count: s.TestSize})
			if err != nil {
				return err
			}
			if err := os.MkdirAll(args[1], 0o755); err != nil {
				return err
			}
			for _, side := range []struct {
				name string
				rs   []data.Record
			}{{"train.jsonl", train}, {"test.jsonl", test}} {
				if err := writeRecords(filepath.Join(args[1], side.name), side.rs); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d train, %d test records in %s\n", args[0], len(train), len(test), args[1])
			return nil
		},
	}
	mustBind(cmd, &s)
	return cmd
}

// writeRecords writes records' fields as JSONL, atomically.
func writeRecords(path string, rs []data.Record) error {
	vs := make([]any, len(rs))
	for i, r := range rs {
		vs[i] = r.Fields
	}
	return writeJSONL(path, vs)
}

// checkOutputFile says, before any work is done, whether flag's file path
// can be written as writeJSONL writes it (a new file beside it, renamed
// over it): path is not a directory and its directory takes a new file.
// Generation or scoring that ran for hours is then not lost at the end.
func checkOutputFile(flag, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s %s is a directory: give a file name", flag, path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		if _, serr := os.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
			return fmt.Errorf("%s %s: directory %s does not exist", flag, path, dir)
		}
		return fmt.Errorf("%s %s: cannot write in %s: %w", flag, path, dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// writeJSONL writes one JSON value per line, atomically, with non-ASCII
// text and <, >, & as they are (not \u-escaped).
func writeJSONL(path string, vs []any) error {
	return safetensors.WriteAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, v := range vs {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}

func newDataTextCmd() *cobra.Command {
	t := struct {
		Fields   []string `yaml:"text_fields" alias:"field" help:"record fields holding text in JSON/JSONL/CSV/TSV inputs (repeatable; each record gives the ones it has)"`
		Format   string   `yaml:"format"`
		MaxChars int      `yaml:"max_chars" help:"keep each text's first N characters (review prefixes for PPO or generation); 0 = all"`
		JSONL    bool     `yaml:"jsonl" help:"print {\"text\": …} records (for generate --input or ppo --train-file) instead of lines"`
	}{Fields: []string{"text"}}
	cmd := &cobra.Command{
		Use:   "text FILE...",
		Short: "Print the texts of data files, one per line, for a pretraining corpus",
		Long: "Prints every non-empty value of the --text-fields of each record (in field order), one per line, with\n" +
			"inner line breaks folded to spaces; a text seen before is printed once (SQuAD files repeat a\n" +
			"paragraph's context for each of its questions). .txt files pass through line by line.",
		Example: "  gotrl data text runs/csl-split/train.jsonl --text-fields title --text-fields content > corpus.txt\n" +
			"  gotrl data text reviews.jsonl --text-fields review --max-chars 10 --jsonl > prefixes.jsonl",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := data.ParseFormat(t.Format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			seen := map[string]bool{}
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			emit := func(text string) {
				text = strings.Join(strings.Fields(text), " ")
				if rs := []rune(text); t.MaxChars > 0 && len(rs) > t.MaxChars {
					text = string(rs[:t.MaxChars])
				}
				if text == "" || seen[text] {
					return
				}
				seen[text] = true
				if t.JSONL {
					_ = enc.Encode(map[string]string{"text": text}) // errors surface at Flush
				} else {
					fmt.Fprintln(w, text)
				}
			}
			for _, path := range args {
				if strings.EqualFold(filepath.Ext(path), ".txt") {
					texts, err := data.ReadTexts(path, "", data.Options{})
					if err != nil {
						return err
					}
					for _, text := range texts {
						emit(text)
					}
					continue
				}
				n := 0
				if _, err := data.Read(path, data.Options{Format: f}, func(r data.Record) error {
					for _, field := range t.Fields {
						if !r.Has(field) {
							continue
						}
						text, err := r.String(field)
						if err != nil {
							return err
						}
						emit(text)
						n++
					}
					return nil
				}); err != nil {
					return err
				}
				if n == 0 {
					return fmt.Errorf("%s: no record has any of the fields %s (--text-fields)", path, strings.Join(t.Fields, ", "))
				}
			}
			return w.Flush()
		},
	}
	mustBind(cmd, &t)
	return cmd
}
