package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/prompt"
	"github.com/gotrl/gotrl/pkg/prompt/run"
	"github.com/gotrl/gotrl/pkg/train"
)

func newPromptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prompt",
		Short: "Prompt learning: render templates, evaluate prompt classifiers, PET few-shot training",
	}
	cmd.AddCommand(newPromptRenderCmd(), newPromptEvalCmd(), newPromptTrainCmd(), newPromptSplitCmd())
	return cmd
}

// promptFlags describe the prompts: a prompt file, or templates and
// verbalizers given inline.
type promptFlags struct {
	File        string   `yaml:"prompt_config" alias:"prompts" help:"prompt file (YAML: templates, verbalizer, content_free; see pkg/prompt Config)"`
	Templates   []string `yaml:"template" help:"template, optionally named: 'book={mask}满意。{text_a|trunc}' (repeatable)"`
	Kind        string   `yaml:"template_kind" alias:"kind" help:"kind of --template templates: cloze (BERT) or prefix (GPT-2, T5)"`
	Verbalizers []string `yaml:"verbalizer" help:"label words: '1=很,非常;0=不' (repeatable; labels are the data's label values)"`
	WordAgg     string   `yaml:"word_agg" help:"score of a multi-token word: first, mean or max"`
	LabelAgg    string   `yaml:"label_agg" help:"score of a label with several words: mean or max"`
	Field       string   `yaml:"template_field" alias:"field" help:"template field the data's text fills"`
	MaxLen      int      `yaml:"max_prompt_length" alias:"max-length"`
}

func (p *promptFlags) bind(cmd *cobra.Command) {
	p.Kind, p.WordAgg, p.LabelAgg, p.Field = "cloze", "mean", "mean", "text_a"
	mustBind(cmd, p)
}

var templateName = regexp.MustCompile(`^([A-Za-z0-9_-]+)=`)

// load returns the templates and named verbalizers.
func (p *promptFlags) load() ([]*prompt.Template, []run.NamedVerbalizer, error) {
	var ts []*prompt.Template
	var vs []run.NamedVerbalizer
	if p.File != "" {
		c, err := prompt.LoadConfig(p.File)
		if err != nil {
			return nil, nil, err
		}
		ts = c.Templates
		vs = append(vs, run.NamedVerbalizer{Name: filepath.Base(p.File), Verbalizer: c.Verbalizer})
	}
	kind, err := prompt.ParseKind(p.Kind)
	if err != nil {
		return nil, nil, fmt.Errorf("--kind: %w", err)
	}
	for i, src := range p.Templates {
		name := fmt.Sprintf("t%d", i+1)
		if m := templateName.FindStringSubmatch(src); m != nil {
			name, src = m[1], src[len(m[0]):]
		}
		t, err := prompt.Parse(name, src, kind, p.Field)
		if err != nil {
			return nil, nil, fmt.Errorf("--template %d: %w", i+1, err)
		}
		ts = append(ts, t)
	}
	for _, spec := range p.Verbalizers {
		v, err := parseVerbalizer(spec, prompt.Agg(p.WordAgg), prompt.Agg(p.LabelAgg))
		if err != nil {
			return nil, nil, fmt.Errorf("--verbalizer %q: %w", spec, err)
		}
		vs = append(vs, run.NamedVerbalizer{Name: spec, Verbalizer: v})
	}
	if len(ts) == 0 {
		return nil, nil, fmt.Errorf("no templates: give --prompts or --template")
	}
	return ts, vs, nil
}

// parseVerbalizer reads "label=word,word;label=word".
func parseVerbalizer(spec string, wordAgg, labelAgg prompt.Agg) (*prompt.Verbalizer, error) {
	var labels []string
	var words [][]string
	for i, part := range strings.Split(spec, ";") {
		label, ws, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(label) == "" || strings.TrimSpace(ws) == "" {
			return nil, fmt.Errorf("part %d %q: want label=word,word", i+1, part)
		}
		labels = append(labels, strings.TrimSpace(label))
		var list []string
		for _, w := range strings.Split(ws, ",") {
			list = append(list, strings.TrimSpace(w))
		}
		words = append(words, list)
	}
	return prompt.NewVerbalizer(labels, words, wordAgg, labelAgg)
}

func newPromptRenderCmd() *cobra.Command {
	var pf promptFlags
	var tok struct {
		Name string `yaml:"tokenizer_name" hub:"tokenizer" alias:"tokenizer"`
	}
	var texts []string
	var ids bool
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Show exactly what the model sees: the rendered prompt, with token ids on request (no model needed)",
		Example: "  gotrl prompt render --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt \\\n" +
			"      --template '{mask}满意。{text_a|trunc}' --verbalizer '1=很,非常;0=不' --text '房间很干净' --ids",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, vs, err := pf.load()
			if err != nil {
				return err
			}
			if err := resolveHub(cmd, &tok); err != nil {
				return err
			}
			tk, err := tokenizerFor("", tok.Name)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, v := range vs {
				words, err := v.Tokenize(tk)
				if err != nil {
					return err
				}
				for l, label := range v.Labels {
					fmt.Fprintf(w, "label %s: words %v → ids %v\n", label, v.Words[l], words[l])
				}
			}
			for _, t := range ts {
				for _, text := range texts {
					r, err := t.Render(map[string]string{pf.Field: text}, tk, pf.MaxLen)
					if err != nil {
						return err
					}
					printRendered(w, t, r, tk, ids)
				}
			}
			return nil
		},
	}
	pf.bind(cmd)
	mustBind(cmd, &tok)
	cmd.Flags().StringArrayVar(&texts, "text", nil, "input text for the template's field (repeatable)")
	cmd.Flags().BoolVar(&ids, "ids", false, "also print token ids, tokens, type ids and mask/soft positions")
	_ = cmd.MarkFlagRequired("tokenizer-name")
	return cmd
}

func printRendered(w interface{ Write([]byte) (int, error) }, t *prompt.Template, r *prompt.Rendered, tk tokenizer.Tokenizer, ids bool) {
	fmt.Fprintf(w, "[%s] %s\n", t.Name, r.Text)
	if r.Truncated > 0 {
		fmt.Fprintf(w, "  truncated: %d tokens\n", r.Truncated)
	}
	if !ids {
		return
	}
	toks := make([]string, len(r.IDs))
	for i, id := range r.IDs {
		toks[i], _ = tk.IDToToken(id)
	}
	fmt.Fprintf(w, "  ids (%d): %v\n  tokens: %s\n  type ids: %v\n  masks: %v\n", len(r.IDs), r.IDs, strings.Join(toks, " "), r.TypeIDs, r.Masks)
	if len(r.SoftPositions) > 0 {
		fmt.Fprintf(w, "  soft positions: %v\n", r.SoftPositions)
	}
}

// splitFlags select labeled examples: a file and one side of a seeded split.
type splitFlags struct {
	Data     string `yaml:"labeled_file" alias:"data" help:"labeled data: CSV or JSONL with \"label\" and \"review\", split into train and test"`
	TestSize int    `yaml:"test_size" help:"examples held out as the test side of the split"`
	Seed     int64  `yaml:"split_seed" min:"none" help:"seed of the train/test split"`
	Part     string `yaml:"part" help:"side of the split to read: train, test or all"`
}

func (s *splitFlags) bind(cmd *cobra.Command, part string) {
	s.TestSize, s.Seed, s.Part = 500, 1, part
	mustBind(cmd, s)
	_ = cmd.MarkFlagRequired("labeled-file")
}

// examples reads the examples, each with a label every verbalizer of vs
// names.
func (s *splitFlags) examples(field string, vs []run.NamedVerbalizer) ([]prompt.Example, error) {
	xs, err := run.ReadLabeled(s.Data, s.TestSize, uint64(s.Seed), run.Part(s.Part))
	if err != nil {
		return nil, err
	}
	if err := verbalized(xs, vs); err != nil {
		return nil, err
	}
	return run.Examples(xs, field), nil
}

// verbalized refuses, before any model pass, a labeled text whose label
// a verbalizer does not name, with its file and line (it was found once
// the whole set was classified, as the split's "example N").
func verbalized(xs []data.Labeled, vs []run.NamedVerbalizer) error {
	for _, x := range xs {
		l := strconv.Itoa(x.Label)
		for _, v := range vs {
			if !slices.Contains(v.Verbalizer.Labels, l) {
				return &data.RecordError{Pos: x.Pos, Field: "label",
					Err: fmt.Errorf("%s is not one of the verbalizer's labels %s", l, strings.Join(v.Verbalizer.Labels, ", "))}
			}
		}
	}
	return nil
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
			xs, err := run.ReadLabeled(s.Data, s.TestSize, uint64(s.Seed), run.Part(s.Part))
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
					return fmt.Errorf("--output-format %q: want text or jsonl", format)
				}
			}
			return nil
		},
	}
	s.bind(cmd, "train")
	cmd.Flags().StringVar(&format, "output-format", "text", "text (one review per line) or jsonl")
	return cmd
}

// parseInts reads "0,1,4".
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q: want comma-separated integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// writeFile creates path and lets fn fill it.
func writeFile(path string, fn func(f *os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// modelFlags name the model and its tokenizer.
type modelFlags struct {
	Dir   string `yaml:"model_name_or_path" hub:"model" alias:"model"`
	Tok   string `yaml:"tokenizer_name" hub:"tokenizer" alias:"tokenizer"`
	Batch int    `yaml:"per_device_eval_batch_size" alias:"batch-size"`
}

func (m *modelFlags) bind(cmd *cobra.Command) {
	m.Batch = 16
	mustBind(cmd, m)
	_ = cmd.MarkFlagRequired("model-name-or-path")
}

// open loads the tokenizer and the runner.
func (m *modelFlags) open(cmd *cobra.Command) (tokenizer.Tokenizer, *run.Runner, error) {
	if err := resolveHub(cmd, m); err != nil {
		return nil, nil, err
	}
	dev, err := setup(global.seed)
	if err != nil {
		return nil, nil, err
	}
	tk, err := tokenizerFor(m.Dir, m.Tok)
	if err != nil {
		return nil, nil, err
	}
	r, err := run.Load(m.Dir, dev, tk.Special().PAD)
	if err != nil {
		return nil, nil, err
	}
	r.BatchSize = m.Batch
	return tk, r, nil
}

// limit is the prompt length: the flag, else the model's limit (512 for
// models without one, such as T5).
func limit(flag int, r *run.Runner) int {
	if flag > 0 {
		return flag
	}
	return min(r.MaxLen(), 512)
}

func newPromptEvalCmd() *cobra.Command {
	var pf promptFlags
	var sf splitFlags
	var mf modelFlags
	var shots, out, ensemble string
	var demoSeed uint64
	var dropDemos, calibrate bool
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate templates × verbalizers × demonstrations on labeled data: table, CSV and bar chart",
		Example: "  gotrl prompt eval --model runs/mlm --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt \\\n" +
			"      --data ../shared/data/chnsenticorp/ChnSentiCorp_htl_all.csv --part test \\\n" +
			"      --template 'book={mask}满意。{text_a|trunc}' --verbalizer '1=很,非常;0=不' --calibrate --output-dir runs/eval",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, vs, err := pf.load()
			if err != nil {
				return err
			}
			if len(vs) == 0 {
				return fmt.Errorf("no verbalizer: give --prompts or --verbalizer")
			}
			ks, err := parseInts(shots)
			if err != nil {
				return fmt.Errorf("--shots: %w", err)
			}
			tk, r, err := mf.open(cmd)
			if err != nil {
				return err
			}
			defer r.Close()
			for _, t := range ts {
				if err := r.Check(t); err != nil {
					return err
				}
			}
			exs, err := sf.examples(pf.Field, vs)
			if err != nil {
				return err
			}
			if out != "" { // before the evaluation, not after it
				if err := os.MkdirAll(out, 0o755); err != nil {
					return fmt.Errorf("--output-dir %s: %w", out, err)
				}
			}
			g := run.Grid{Templates: ts, Verbalizers: vs, Shots: ks, Seed: demoSeed, MaxLen: limit(pf.MaxLen, r),
				Strict: !dropDemos, Ensemble: prompt.Method(ensemble), Calibrate: calibrate}
			switch g.Ensemble {
			case "", prompt.MeanProb, prompt.MeanScore, prompt.Vote:
			default:
				return fmt.Errorf("--ensemble %q: want mean_prob, mean_score or vote", ensemble)
			}
			if slicesMax(ks) > 0 { // demonstrations come from the other side of the split
				pool := sf
				pool.Part = string(run.Train)
				if g.Pool, err = pool.examples(pf.Field, vs); err != nil {
					return err
				}
			}
			cells, err := g.Run(cmd.Context(), r, tk, exs)
			if err != nil {
				return err
			}
			if err := run.WriteTable(cmd.OutOrStdout(), cells); err != nil {
				return err
			}
			if out == "" {
				return nil
			}
			if err := writeFile(filepath.Join(out, "results.csv"), func(f *os.File) error { return run.WriteCSV(f, cells) }); err != nil {
				return err
			}
			return run.BarChart(filepath.Join(out, "results.png"), fmt.Sprintf("%s: %d examples", filepath.Base(mf.Dir), len(exs)), cells)
		},
	}
	pf.bind(cmd)
	sf.bind(cmd, "test")
	mf.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&shots, "shots", "0", "demonstrations per query, comma-separated (drawn from the train side, balanced)")
	f.Uint64Var(&demoSeed, "demo-seed", 1, "seed of the demonstration draw")
	f.BoolVar(&dropDemos, "drop-demos", false, "drop demonstrations that do not fit --max-length instead of failing")
	f.BoolVar(&calibrate, "calibrate", false, "contextual calibration with content-free inputs (N/A, empty, [MASK])")
	f.StringVar(&ensemble, "ensemble", "", "also combine all templates: mean_prob, mean_score or vote")
	f.StringVar(&out, "output-dir", "", config.Vocabulary["output_dir"])
	return cmd
}

func slicesMax(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func newPromptTrainCmd() *cobra.Command {
	var pf promptFlags
	var sf splitFlags
	var mf modelFlags
	var k int
	var fewSeed uint64
	var over struct {
		Overwrite bool `yaml:"overwrite_output_dir" alias:"overwrite"`
	}
	cfg := run.DefaultPET()
	cmd := &cobra.Command{
		Use:   "train",
		Short: "PET few-shot training: k examples per label, cross-entropy over the verbalizer's label scores",
		Example: "  gotrl prompt train --model runs/mlm --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt \\\n" +
			"      --data ../shared/data/chnsenticorp/ChnSentiCorp_htl_all.csv --k 20 \\\n" +
			"      --template '{mask}满意。{text_a|trunc}' --verbalizer '1=很,非常;0=不' --output runs/pet",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, vs, err := pf.load()
			if err != nil {
				return err
			}
			if len(ts) != 1 || len(vs) != 1 {
				return fmt.Errorf("PET trains one prompt: got %d templates and %d verbalizers", len(ts), len(vs))
			}
			tk, r, err := mf.open(cmd)
			if err != nil {
				return err
			}
			defer r.Close()
			if n := ts[0].SoftTokens(); n > 0 {
				if _, err := r.WithSoft(n); err != nil {
					return err
				}
			}
			p, err := prompt.NewPrompt(ts[0], vs[0].Verbalizer, tk, limit(pf.MaxLen, r))
			if err != nil {
				return err
			}
			xs, err := run.ReadLabeled(sf.Data, sf.TestSize, uint64(sf.Seed), run.Part(sf.Part))
			if err != nil {
				return err
			}
			if err := verbalized(xs, vs); err != nil {
				return err
			}
			few, err := run.FewShot(xs, k, fewSeed)
			if err != nil {
				return err
			}
			if cfg.Dist, err = joinGroup(onCUDA()); err != nil {
				return err
			}
			if cfg.Dist.Main() {
				fmt.Fprintf(cmd.OutOrStdout(), "PET: %d examples (%d per label), training %q\n", len(few), k, cfg.Trainable)
			}
			tok := mf.Tok // copied into the run, so prompt eval needs only the model directory
			if tok == "" {
				tok = mf.Dir
			}
			// prompt train has no --resume (its settings are flags, with no
			// config.yaml to check one against): it must neither train over
			// a run nor promise to continue one
			dir := cfg.Train.OutputDir
			return runStage(cmd, tok, dir, func(ctx context.Context) (string, error) {
				if cfg.Dist.Main() {
					err := train.PrepareOutputDir(dir, false, over.Overwrite)
					if errors.Is(err, train.ErrRunDirNotEmpty) {
						return "", fmt.Errorf("--output-dir %s holds a run, and prompt train cannot resume one: give --overwrite-output-dir to start over, or another --output-dir", dir)
					}
					if err != nil {
						return "", err
					}
				}
				st, err := run.PET(ctx, r, p, run.Examples(few, pf.Field), cfg)
				if errors.Is(err, train.ErrInterrupted) {
					err = fmt.Errorf("%w at step %d (prompt train cannot resume: run it again, with --overwrite-output-dir)", train.ErrInterrupted, st.Step)
				}
				return stateSummary(st), err
			})
		},
	}
	pf.bind(cmd)
	sf.bind(cmd, "train")
	mf.bind(cmd)
	f := cmd.Flags()
	f.IntVar(&k, "k", 20, "training examples per label")
	f.Uint64Var(&fewSeed, "few-shot-seed", 1, "seed of the k-per-label draw")
	mustBind(cmd, &cfg.Train, &over) // TrainingArguments' flags: --output-dir, --num-train-epochs, --learning-rate, …
	f.StringVar(&cfg.Trainable, "trainable", cfg.Trainable, `regexp of parameters to train ('^cls\.predictions\.' = MLM head, '' = all, '^prompt_encoder\.' = soft tokens)`)
	_ = cmd.MarkFlagRequired("output-dir")
	return cmd
}
