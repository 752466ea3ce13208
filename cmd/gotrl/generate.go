package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/rlhf"

	// the families `gotrl generate` can load; each loaded model offers
	// Stepper() generate.Stepper
	_ "github.com/gotrl/gotrl/pkg/models/bert"
	_ "github.com/gotrl/gotrl/pkg/models/gpt2"
	_ "github.com/gotrl/gotrl/pkg/models/t5"
)

const generateLong = `Generate text from a model directory: greedy, sampling or beam search with HF
generate()'s settings.

Settings start from the model directory's generation defaults, as
transformers' model.generate() does: generation_config.json when the directory
has one, else the generation attributes of config.json (max_length, num_beams,
do_sample, top_p, repetition_penalty, eos_token_id, ...). A flag given on the
command line overrides the checkpoint's value; a flag left out does not, and
the flags' defaults (--max-new-tokens 20, greedy) apply only where the
checkpoint sets nothing. The checkpoint's max_length counts the prompt (for
T5, decoder_start_token_id) and --max-new-tokens replaces it. A setting
gotrl cannot compute (typical_p, num_beam_groups, penalty_alpha, ...) is
refused with its file and field; docs/hub.md lists them. Without an
eos_token_id anywhere, generation stops at the tokenizer's eos (else [SEP]); a
missing pad_token_id is eos under a generation_config.json, as in HF, and the
tokenizer's pad under config.json.

Prompts come from --prompt flags and/or --input, a data file (JSONL, also under
a name that says nothing, a JSON array, CSV/TSV, Parquet, gzipped) whose records
have a "prompt" field (--field prompt=content reads another field, as the
training stages do). Without --output each result prints as "prompt ⟶ text".
With --output each prompt's record is written back as JSONL with every field
unchanged (as the file spells it; a CSV or Parquet record's fields in name
order) plus "prediction" (the generated text) and "ids" (its token ids), so a
reference field survives for gotrl eval:

  gotrl generate --model runs/sft --input test.jsonl --field prompt=content --output pred.jsonl
  gotrl eval summary --input pred.jsonl --field reference=title

(--num-return-sequences N writes N records per prompt.) The file is written
atomically; if generation fails part way, what was generated is kept in
FILE.partial. An --output-file that cannot be written (a directory, a
missing directory) is refused before anything is generated.

Prompts longer than --max-prompt-length tokens (the tokenizer's special tokens
included) are cut: on the left for decoder-only models (GPT-2), on the right
for encoders and encoder-decoders (BERT UniLM, T5), --truncation-side to
override; stderr says how many were cut. The default, 0, is what fits the
model's positions: n_positions (BERT: max_position_embeddings) minus
--max-new-tokens (under a checkpoint's max_length, max_length minus one); T5's
relative positions set no limit. --max-new-tokens and
--min-new-tokens are checked against the positions before anything runs.

The tokenizer must not be larger than the model's vocab_size (refused at
load); the model may be larger (padded to a multiple, as HF allows). A
generated id the tokenizer lacks shows in the text as the placeholder
[id N] (its number), never silently dropped; "ids" keeps it as is. An
eos_token_id or pad_token_id outside the model's vocabulary (from
config.json or the flags) is refused before anything runs.`

// generateConfig is `gotrl generate`'s configuration.
type generateConfig struct {
	Model     string           `yaml:"model_name_or_path" hub:"model" alias:"model"`
	Tokenizer string           `yaml:"tokenizer_name" hub:"tokenizer" alias:"tokenizer"`
	Prompts   []string         `yaml:"prompt"`
	Input     string           `yaml:"input"`
	Fields    []string         `yaml:"fields" alias:"field"`
	Output    string           `yaml:"output_file" alias:"output"`
	BatchSize int              `yaml:"per_device_eval_batch_size" alias:"batch-size"`
	MaxPrompt int              `yaml:"max_prompt_length"`
	Side      truncationSide   `yaml:"truncation_side" help:"which end of a long prompt is cut: left or right (default: left for GPT-2, right for BERT and T5)"`
	Special   bool             `yaml:"add_special_tokens" help:"apply the tokenizer's template ([CLS] … [SEP] for BERT vocabularies), as SFT formats prompts"`
	Quantize  layers.Precision `yaml:"quantize" help:"weights for inference: fp32 (float32 laid out for decoding), int8 (fbgemm dynamic quantization), fp16, bf16 (for CPUs with AMX), auto (bf16 with AMX, int8 on other CPUs, none on CUDA) or none (as stored); int8 and fp16 run on the CPU only"`
	Gen       generate.Config  `yaml:",inline"`
}

func newGenerateCmd() *cobra.Command {
	g := generateConfig{BatchSize: 8, Special: true, Quantize: layers.FP32, Gen: generate.Default()}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate text from a model (greedy, sampling or beam search)",
		Long:  generateLong,
		Example: "  gotrl generate --model-name-or-path runs/sft --prompt '今天天气' --max-new-tokens 30\n" +
			"  gotrl generate --model-name-or-path runs/sft --input test.jsonl --fields prompt=content --output-file pred.jsonl --num-beams 4\n" +
			"  gotrl generate --model-name-or-path runs/sft --prompt 'a' --do-sample --top-p 0.9 --num-return-sequences 3",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.Model == "" {
				return errors.New("--model-name-or-path is required")
			}
			if g.BatchSize < 1 {
				return fmt.Errorf("--per-device-eval-batch-size %d: want ≥ 1", g.BatchSize)
			}
			if g.Output != "" {
				if err := checkOutputFile("--output-file", g.Output); err != nil {
					return err
				}
			}
			if err := resolveHub(cmd, &g); err != nil {
				return err
			}
			dev, err := setup(global.seed)
			if err != nil {
				return err
			}
			c, model := g.Gen, g.Model
			c.Seed = global.seed
			recs, err := readPrompts(g.Prompts, g.Input, g.Fields)
			if err != nil {
				return err
			}
			tk, err := tokenizerFor(model, g.Tokenizer)
			if err != nil {
				return err
			}
			if err := refuseClassifier(model); err != nil {
				return err
			}
			m, err := models.Load(model, models.Options{Device: dev, Task: models.TaskLM, Quantize: g.Quantize})
			if err != nil {
				return err
			}
			defer m.Close()
			lm, ok := m.(models.LM)
			if !ok {
				return fmt.Errorf("generate: %s: this model (%T) cannot generate: use a causal LM, a T5 or a BERT masked LM", model, m)
			}
			if err := rlhf.CheckVocab(tk, m); err != nil {
				return fmt.Errorf("generate: %s: %w", model, err)
			}
			if err := generationDefaults(cmd, &c, model, m.Config(), tk); err != nil {
				return err
			}
			if err := c.Validate(); err != nil {
				return err
			}
			if err := c.CheckIDs(lm.Dims().Vocab); err != nil {
				return fmt.Errorf("generate: %s: %w", model, err)
			}
			limit, err := newPromptLimit(m.Config(), c, g.MaxPrompt, g.Side)
			if err != nil {
				return err
			}
			ids, err := tokenizePrompts(cmd.ErrOrStderr(), tk, g.Special, limit, recs)
			if err != nil {
				return err
			}
			run := generation{s: lm.Stepper(), tk: tk, c: c, batch: g.BatchSize}
			if g.Output == "" {
				return run.print(cmd, recs, ids)
			}
			return run.write(cmd, recs, ids, g.Output)
		},
	}
	mustBind(cmd, &g)
	return cmd
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

// generationDefaults completes c, the flags' settings, as transformers'
// generate() completes its arguments: every field the user did not set
// takes the model directory's generation default
// (generate.FromCheckpoint: generation_config.json, else config.json),
// then eos and pad fall back to the tokenizer (fillTokenIDs).
func generationDefaults(cmd *cobra.Command, c *generate.Config, dir string, modelConfig any, tk tokenizer.Tokenizer) error {
	k, err := generate.FromCheckpoint(dir, modelConfig)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	given := func(key string) bool { return cmd.Flags().Changed(strings.ReplaceAll(key, "_", "-")) }
	if err := k.Apply(c, given); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	fillTokenIDs(c, k.File == generate.GenerationConfigFile, tk)
	return nil
}

// fillTokenIDs completes eos and pad that neither the flags nor the
// checkpoint set. Without an eos, generation stops at the tokenizer's eos,
// else [SEP]: BERT configs and their generation_config.json name none, and
// a UniLM model ends its text with [SEP] (HF, which cannot generate with
// them, would run to the length). A missing pad is eos, as in HF, when a
// generation_config.json gives the defaults; defaults from config.json
// (a gotrl run started from a model without that file has none) take the
// tokenizer's pad first.
func fillTokenIDs(c *generate.Config, generationConfig bool, tk tokenizer.Tokenizer) {
	sp := tk.Special()
	if len(c.EOSTokenID) == 0 {
		switch {
		case sp.EOS >= 0:
			c.EOSTokenID = generate.IDs{sp.EOS}
		case sp.SEP >= 0:
			c.EOSTokenID = generate.IDs{sp.SEP}
		}
	}
	if c.PadTokenID == nil && !generationConfig && sp.PAD >= 0 {
		pad := sp.PAD
		c.PadTokenID = &pad
	}
	if c.PadTokenID == nil {
		zero := int64(0)
		if len(c.EOSTokenID) > 0 {
			zero = c.EOSTokenID[0]
		}
		c.PadTokenID = &zero
	}
}

// refuseClassifier says clearly that a sequence classifier (its config's
// architecture) has no language-model head to generate with.
func refuseClassifier(dir string) error {
	raw, _, err := models.ReadConfig(dir, "")
	if err != nil {
		return err
	}
	var c struct {
		Architectures []string `json:"architectures"`
	}
	if json.Unmarshal(raw, &c) == nil && len(c.Architectures) > 0 && strings.HasSuffix(c.Architectures[0], "ForSequenceClassification") {
		return fmt.Errorf("generate: %s is a %s: a classifier cannot generate; use a causal LM, a T5 or a BERT masked LM", dir, c.Architectures[0])
	}
	return nil
}

// tokenizerFor opens path, or the model directory's tokenizer.
func tokenizerFor(model, path string) (tokenizer.Tokenizer, error) {
	if path == "" {
		path = model
	}
	t, err := tokenizer.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer: %w", err)
	}
	for _, w := range t.Warnings() {
		fmt.Fprintln(os.Stderr, "gotrl: warning: --tokenizer:", w)
	}
	return t, nil
}
