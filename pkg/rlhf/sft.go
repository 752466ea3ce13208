package rlhf

import (
	"context"
	"fmt"
	"strings"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/train"
)

// SFT fine-tunes a decoder on {prompt, response} pairs (TRL SFTTrainer):
// the loss covers the response tokens only unless LossOnAll, evaluation
// reports loss, perplexity and token accuracy (padding and prompt tokens
// excluded) and prints a few greedy completions of eval prompts.
func SFT(ctx context.Context, cfg SFTConfig, env Env) (train.State, error) {
	if err := cfg.Validate(); err != nil {
		return train.State{}, err
	}
	ckpt, err := start(env, cfg.Train, "sft", &cfg.Model, cfg)
	if err != nil {
		return train.State{}, err
	}
	tok, err := loadTokenizer(cfg.Data.Tokenizer)
	if err != nil {
		return train.State{}, err
	}
	opt, err := readOptions(cfg.Data)
	if err != nil {
		return train.State{}, err
	}
	tr, ev, err := splitEval(cfg.Data, cfg.Train.Seed, func(p string) ([]data.Example, error) {
		xs, st, err := data.ReadSFT(p, opt)
		env.logf("read %s: %s\n", p, st)
		return xs, err
	})
	if err != nil {
		return train.State{}, err
	}
	raw, family, err := cfg.Model.readConfig()
	if err != nil {
		return train.State{}, err
	}
	if family != "gpt2" {
		return train.State{}, fmt.Errorf("sft: model_type %q: supervised fine-tuning supports decoders (gpt2)", family)
	}
	g, m, err := newGPT2(cfg.Model, raw, env.Device)
	if err != nil {
		return train.State{}, err
	}
	defer m.store.Close()
	enc := &data.Encoder{Tok: tok, MaxLen: cfg.Data.MaxLen, MaxPrompt: cfg.MaxPrompt, LossOnAll: cfg.LossOnAll}
	trEnc, err := enc.EncodePairs(tr)
	if err != nil {
		return train.State{}, err
	}
	evEnc, err := enc.EncodePairs(ev)
	if err != nil {
		return train.State{}, err
	}
	pad, err := data.PadID(tok.Special())
	if err != nil {
		return train.State{}, err
	}
	c := data.Collator{PadID: pad}
	st := &lmStage[data.Batch]{name: "sft gpt2", m: m, logits: causalLogits(g), tokens: tokens, items: labelledBatch(1)}
	if st.eval, err = batches(evEnc, cfg.Train.BatchSize, c); err != nil {
		return train.State{}, err
	}
	if gen, ok := any(g).(interface{ Stepper() generate.Stepper }); ok && cfg.Samples > 0 && len(ev) > 0 && env.Dist.Main() {
		st.samples = sampler(env, tok, enc, ev[:min(cfg.Samples, len(ev))], gen.Stepper(), cfg.Generation, pad)
	}
	return runBatches(ctx, cfg.Train, env, ckpt, st, trEnc, c, nil)
}

// sampler returns the eval hook that completes prompts greedily (or as
// cfg says) and prints them beside the reference responses.
func sampler(env Env, tok tokenizer.Tokenizer, enc *data.Encoder, exs []data.Example, m generate.Stepper, cfg generate.Config, pad int64) func(context.Context) error {
	return func(ctx context.Context) error {
		prompts, err := enc.EncodePrompts(exs)
		if err != nil {
			return err
		}
		b, err := (data.Collator{PadID: pad, Side: data.PadLeft}).Collate(prompts)
		if err != nil {
			return err
		}
		if len(cfg.EOSTokenID) == 0 {
			if sp := tok.Special(); sp.EOS >= 0 {
				cfg.EOSTokenID = generate.IDs{sp.EOS}
			} else if sp.SEP >= 0 {
				cfg.EOSTokenID = generate.IDs{sp.SEP}
			}
		}
		if cfg.PadTokenID == nil {
			cfg.PadTokenID = &pad
		}
		out, err := generate.Generate(ctx, m, generate.Batch{IDs: b.InputIDs, Mask: b.AttentionMask}, cfg)
		if err != nil {
			return fmt.Errorf("samples: %w", err)
		}
		for i, x := range exs {
			text := tokenizer.Text(tok, out.Sequences[i][out.PrefixLen:])
			env.logf("  prompt: %s\n  ref:    %s\n  model:  %s\n", clip(x.Prompt, 80), x.Response, strings.TrimSpace(text))
		}
		return nil
	}
}

// clip shortens s to n runes for display.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
