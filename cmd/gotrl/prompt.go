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
	"github.com/sugarme/gotch"

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

func defaultPromptFlags() promptFlags {
	return promptFlags{Kind: "cloze", WordAgg: "mean", LabelAgg: "mean", Field: "text_a"}
}

func (p *promptFlags) bind(cmd *cobra.Command) {
	*p = defaultPromptFlags()
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

func defaultSplitFlags(part string) splitFlags {
	return splitFlags{TestSize: 500, Seed: 1, Part: part}
}

func (s *splitFlags) bind(cmd *cobra.Command, part string) {
	*s = defaultSplitFlags(part)
	mustBind(cmd, s)
	_ = cmd.MarkFlagRequired("labeled-file")
}

// examples reads the examples, each with a label every verbalizer of vs
// names.
func (s *splitFlags) examples(field string, vs []run.NamedVerbalizer) ([]prompt.Example, error) {
	xs, err := s.labeled(vs)
	if err != nil {
		return nil, err
	}
	return run.Examples(xs, field), nil
}

// labeled reads the labeled texts, each with a label every verbalizer of
// vs names.
func (s *splitFlags) labeled(vs []run.NamedVerbalizer) ([]data.Labeled, error) {
	xs, err := run.ReadLabeled(s.Data, s.TestSize, uint64(s.Seed), run.Part(s.Part))
	if err != nil {
		return nil, err
	}
	return xs, verbalized(xs, vs)
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

func defaultModelFlags() modelFlags { return modelFlags{Batch: 16} }

func (m *modelFlags) bind(cmd *cobra.Command) {
	*m = defaultModelFlags()
	mustBind(cmd, m)
	_ = cmd.MarkFlagRequired("model-name-or-path")
}

// open resolves hub ids and loads the tokenizer and the runner.
func (m *modelFlags) open(cmd *cobra.Command) (tokenizer.Tokenizer, *run.Runner, error) {
	if err := resolveHub(cmd, m); err != nil {
		return nil, nil, err
	}
	dev, err := setup(global.seed)
	if err != nil {
		return nil, nil, err
	}
	return m.load(dev, m.Dir)
}

// load loads the tokenizer and the runner of the weights in dir (the
// model's, or a checkpoint's of a resumed run) onto dev.
func (m *modelFlags) load(dev gotch.Device, dir string) (tokenizer.Tokenizer, *run.Runner, error) {
	tk, err := tokenizerFor(m.Dir, m.Tok)
	if err != nil {
		return nil, nil, err
	}
	r, err := run.Load(dir, dev, tk.Special().PAD)
	if err != nil {
		return nil, nil, err
	}
	r.BatchSize = m.Batch
	return tk, r, nil
}

// limit is the prompt length: the flag, else the model's limit (512 for
// models without one, such as T5). A flag beyond the model's positions is
// refused with the value that fits.
func limit(flag int, r *run.Runner) (int, error) {
	if n := r.MaxLen(); flag > n {
		return 0, fmt.Errorf("max_prompt_length %d (--max-prompt-length) is more than the model's %d positions: give --max-prompt-length %d or less (0 = the model's %d)", flag, n, n, n)
	}
	if flag > 0 {
		return flag, nil
	}
	return min(r.MaxLen(), 512), nil
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
			maxLen, err := limit(pf.MaxLen, r)
			if err != nil {
				return err
			}
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
			g := run.Grid{Templates: ts, Verbalizers: vs, Shots: ks, Seed: demoSeed, MaxLen: maxLen,
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

// petConfig is prompt train's configuration: the prompt, the labeled
// data and its split, the model, the k-per-label draw and PET's training
// settings. Its flags are the ones prompt eval shares with it.
type petConfig struct {
	Prompt      promptFlags   `yaml:",inline"`
	Split       splitFlags    `yaml:",inline"`
	Model       modelFlags    `yaml:",inline"`
	K           int           `yaml:"k" min:"1" help:"training examples per label"`
	FewShotSeed int64         `yaml:"few_shot_seed" min:"none" help:"seed of the k-per-label draw"`
	PET         run.PETConfig `yaml:",inline"`
}

func defaultPETConfig() petConfig {
	return petConfig{Prompt: defaultPromptFlags(), Split: defaultSplitFlags("train"), Model: defaultModelFlags(),
		K: 20, FewShotSeed: 1, PET: run.DefaultPET()}
}

// validate names a required setting that neither the flags, --config nor
// the resumed run gave.
func (c *petConfig) validate() error {
	switch {
	case c.Model.Dir == "":
		return errors.New("--model-name-or-path is required (model_name_or_path in a --config file)")
	case c.Split.Data == "":
		return errors.New("--labeled-file is required (labeled_file in a --config file)")
	}
	return c.PET.Train.Validate()
}

func newPromptTrainCmd() *cobra.Command {
	cfg := defaultPETConfig()
	s := &stage{cfg: &cfg, defaults: func() any { c := defaultPETConfig(); return &c }, seed: &cfg.PET.Train.Seed, outputDir: &cfg.PET.Train.OutputDir}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "PET few-shot training: k examples per label, cross-entropy over the verbalizer's label scores",
		Example: "  gotrl prompt train --model runs/mlm --tokenizer ../shared/vocab/bert-base-chinese-vocab.txt \\\n" +
			"      --data ../shared/data/chnsenticorp/ChnSentiCorp_htl_all.csv --k 20 \\\n" +
			"      --template '{mask}满意。{text_a|trunc}' --verbalizer '1=很,非常;0=不' --output runs/pet\n" +
			"  gotrl prompt train --resume runs/pet",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := s.resolve(cmd)
			if err != nil {
				return err
			}
			if err := cfg.validate(); err != nil {
				return err
			}
			ts, vs, err := cfg.Prompt.load()
			if err != nil {
				return err
			}
			if len(ts) != 1 || len(vs) != 1 {
				return fmt.Errorf("PET trains one prompt: got %d templates and %d verbalizers", len(ts), len(vs))
			}
			xs, err := cfg.Split.labeled(vs)
			if err != nil {
				return err
			}
			few, err := run.FewShot(xs, cfg.K, uint64(cfg.FewShotSeed))
			if err != nil {
				return err
			}
			m := cfg.Model
			tok := m.Tok // copied into the run, so prompt eval needs only the model directory
			if tok == "" {
				tok = m.Dir
			}
			dir := cfg.PET.Train.OutputDir
			return runStage(cmd, tok, dir, func(ctx context.Context) (string, error) {
				ckpt, err := train.Start(env, dir, "prompt", cfg)
				if err != nil {
					return "", err
				}
				from := m.Dir
				if ckpt != "" {
					from = ckpt
				}
				tk, r, err := m.load(env.Device, from)
				if err != nil {
					return "", err
				}
				defer r.Close()
				if n := ts[0].SoftTokens(); n > 0 && ckpt == "" { // a checkpoint has its soft tokens
					if _, err := r.WithSoft(n); err != nil {
						return "", err
					}
				}
				maxLen, err := limit(cfg.Prompt.MaxLen, r)
				if err != nil {
					return "", err
				}
				p, err := prompt.NewPrompt(ts[0], vs[0].Verbalizer, tk, maxLen)
				if err != nil {
					return "", err
				}
				if env.Dist.Main() {
					fmt.Fprintf(cmd.OutOrStdout(), "PET: %d examples (%d per label), training %q\n", len(few), cfg.K, cfg.PET.Trainable)
				}
				st, err := run.PET(ctx, r, p, run.Examples(few, cfg.Prompt.Field), cfg.PET, env, ckpt)
				return stateSummary(st), err
			})
		},
	}
	s.bind(cmd)
	return cmd
}
