package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	// the families `gotrl generate` can load; each loaded model offers
	// Stepper() generate.Stepper
	_ "github.com/gotrl/gotrl/pkg/models/bert"
	_ "github.com/gotrl/gotrl/pkg/models/gpt2"
	_ "github.com/gotrl/gotrl/pkg/models/t5"
)

func newGenerateCmd() *cobra.Command {
	var model, tok, input, output string
	var prompts []string
	var batch int
	var special bool
	var eos []int64
	var pad int64 = -1
	c := generate.Default()
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate text from a model directory (greedy, sampling or beam search)",
		Example: "  gotrl generate --model out/gpt2 --prompt '今天天气' --max-new-tokens 30\n" +
			"  gotrl generate --model out/gpt2 --input prompts.jsonl --output out.jsonl --num-beams 4\n" +
			"  gotrl generate --model out/gpt2 --prompt 'a' --do-sample --top-p 0.9 --num-return-sequences 3",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := resolveFlags(cmd, "model", "tokenizer"); err != nil {
				return err
			}
			dev, err := setup()
			if err != nil {
				return err
			}
			c.Seed, c.EOSTokenID = global.seed, eos
			if pad >= 0 {
				c.PadTokenID = &pad
			}
			texts, err := promptTexts(prompts, input)
			if err != nil {
				return err
			}
			tk, err := tokenizerFor(model, tok)
			if err != nil {
				return err
			}
			m, err := models.Load(model, models.Options{Device: dev})
			if err != nil {
				return err
			}
			defer m.Close()
			g, ok := m.(interface{ Stepper() generate.Stepper })
			if !ok || g.Stepper() == nil {
				return fmt.Errorf("generate: %s: this model (%T) cannot generate: use a causal LM, a T5 or a BERT masked LM", model, m)
			}
			fillTokenIDs(&c, m.Config(), tk)
			w, closeOut, err := outputWriter(cmd.OutOrStdout(), output)
			if err != nil {
				return err
			}
			defer closeOut()
			for start := 0; start < len(texts); start += batch {
				part := texts[start:min(start+batch, len(texts))]
				if err := generateBatch(cmd, g.Stepper(), tk, part, special, c, w, output != ""); err != nil {
					return fmt.Errorf("prompts %d–%d: %w", start+1, start+len(part), err)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "model directory (config.json + weights)")
	f.StringVar(&tok, "tokenizer", "", "tokenizer directory or file (default: the model directory)")
	f.StringArrayVar(&prompts, "prompt", nil, "prompt text (repeatable)")
	f.StringVar(&input, "input", "", `JSONL file of {"prompt": "..."} lines`)
	f.StringVar(&output, "output", "", "write JSONL results here instead of printing text")
	f.IntVar(&batch, "batch-size", 8, "prompts per batch (left-padded)")
	f.BoolVar(&special, "add-special-tokens", true, "apply the tokenizer's template ([CLS] … [SEP] for BERT vocabularies), as SFT formats prompts")
	f.IntVar(&c.MaxNewTokens, "max-new-tokens", c.MaxNewTokens, "tokens to generate at most")
	f.IntVar(&c.MinNewTokens, "min-new-tokens", c.MinNewTokens, "ban eos before this many new tokens")
	f.BoolVar(&c.DoSample, "do-sample", false, "sample instead of greedy/beam search")
	f.Float64Var(&c.Temperature, "temperature", c.Temperature, "sampling temperature")
	f.IntVar(&c.TopK, "top-k", c.TopK, "sample among the k best tokens (0 = off)")
	f.Float64Var(&c.TopP, "top-p", c.TopP, "nucleus sampling mass (1 = off)")
	f.Float64Var(&c.RepetitionPenalty, "repetition-penalty", c.RepetitionPenalty, "CTRL repetition penalty (1 = off)")
	f.IntVar(&c.NoRepeatNgramSize, "no-repeat-ngram-size", 0, "forbid repeating n-grams of this size")
	f.IntVar(&c.NumBeams, "num-beams", c.NumBeams, "beam search width (1 = greedy)")
	f.Float64Var(&c.LengthPenalty, "length-penalty", c.LengthPenalty, "beam score = sum logprob / length^p")
	f.BoolVar(&c.EarlyStopping, "early-stopping", false, "stop beam search once num_beams hypotheses finished")
	f.IntVar(&c.NumReturnSequences, "num-return-sequences", 1, "sequences per prompt")
	f.Int64SliceVar(&eos, "eos-token-id", nil, "stop ids (default: config.json's eos_token_id, else the tokenizer's [SEP]/eos)")
	f.Int64Var(&pad, "pad-token-id", -1, "padding id (default: config.json's, else the tokenizer's, else eos)")
	_ = cmd.MarkFlagRequired("model")
	return cmd
}

// generateBatch tokenizes, left-pads, generates and writes one batch.
func generateBatch(cmd *cobra.Command, s generate.Stepper, tk tokenizer.Tokenizer, texts []string, special bool, c generate.Config, w io.Writer, asJSON bool) error {
	var ids [][]int64
	for i, t := range texts {
		enc, err := tk.Encode(t, special)
		if err != nil {
			return fmt.Errorf("prompt %q: %w", t, err)
		}
		if len(enc.IDs) == 0 {
			return fmt.Errorf("prompt %d is empty after tokenization", i+1)
		}
		ids = append(ids, enc.IDs)
	}
	out, err := generate.Generate(cmd.Context(), s, leftPadded(ids, *c.PadTokenID), c)
	if err != nil {
		return err
	}
	for i, seq := range out.Sequences {
		prompt := texts[i/c.NumReturnSequences]
		var gen []int64
		for j, id := range seq[out.PrefixLen:] {
			if out.Mask[i][out.PrefixLen+j] == 1 {
				gen = append(gen, id)
			}
		}
		text := tokenizer.Text(tk, gen) // special tokens dropped, no spaces between CJK characters
		if !asJSON {
			fmt.Fprintf(w, "%s ⟶ %s\n", prompt, text)
			continue
		}
		line, _ := json.Marshal(map[string]any{"prompt": prompt, "completion": text, "ids": gen})
		fmt.Fprintf(w, "%s\n", line)
	}
	return nil
}

// leftPadded right-aligns prompts of different lengths, as decoder-only
// generation needs.
func leftPadded(rows [][]int64, pad int64) generate.Batch {
	w := 0
	for _, r := range rows {
		w = max(w, len(r))
	}
	var b generate.Batch
	for _, r := range rows {
		ids, mask := make([]int64, w), make([]int64, w)
		for j := range ids {
			ids[j] = pad
		}
		copy(ids[w-len(r):], r)
		for j := w - len(r); j < w; j++ {
			mask[j] = 1
		}
		b.IDs, b.Mask = append(b.IDs, ids), append(b.Mask, mask)
	}
	return b
}

// fillTokenIDs completes eos and pad from config.json, then the tokenizer.
func fillTokenIDs(c *generate.Config, config any, tk tokenizer.Tokenizer) {
	var ids struct {
		EOS generate.IDs `json:"eos_token_id"`
		Pad *int64       `json:"pad_token_id"`
	}
	if b, err := json.Marshal(config); err == nil {
		_ = json.Unmarshal(b, &ids)
	}
	sp := tk.Special()
	if len(c.EOSTokenID) == 0 {
		switch {
		case len(ids.EOS) > 0:
			c.EOSTokenID = ids.EOS
		case sp.EOS >= 0:
			c.EOSTokenID = generate.IDs{sp.EOS}
		case sp.SEP >= 0:
			c.EOSTokenID = generate.IDs{sp.SEP}
		}
	}
	if c.PadTokenID == nil {
		for _, p := range []*int64{ids.Pad, &sp.PAD} {
			if p != nil && *p >= 0 {
				c.PadTokenID = p
				break
			}
		}
	}
	if c.PadTokenID == nil {
		zero := int64(0)
		if len(c.EOSTokenID) > 0 {
			zero = c.EOSTokenID[0]
		}
		c.PadTokenID = &zero
	}
}

func tokenizerFor(model, path string) (tokenizer.Tokenizer, error) {
	if path == "" {
		path = model
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("--tokenizer: %w", err)
	case st.IsDir():
		return tokenizer.Load(path)
	case filepath.Base(path) == "tokenizer.json":
		return tokenizer.FromTokenizerJSON(path)
	}
	return tokenizer.NewBert(path, tokenizer.DefaultBertOptions())
}

func promptTexts(flags []string, input string) ([]string, error) {
	texts := append([]string(nil), flags...)
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for line := 1; sc.Scan(); line++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var rec struct{ Prompt *string }
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Prompt == nil {
				return nil, fmt.Errorf("read %s:%d: want a JSON object with a \"prompt\" string", input, line)
			}
			texts = append(texts, *rec.Prompt)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", input, err)
		}
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("generate: give --prompt or --input")
	}
	return texts, nil
}

func outputWriter(stdout io.Writer, path string) (io.Writer, func(), error) {
	if path == "" {
		return stdout, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--output: %w", err)
	}
	return f, func() { f.Close() }, nil
}
