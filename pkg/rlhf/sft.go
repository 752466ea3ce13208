package rlhf

import (
	"context"
	"fmt"
	"strings"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/train"
)

// SFT fine-tunes a decoder on {prompt, response} pairs (TRL SFTTrainer):
// the loss covers the response tokens only unless LossOnAll, evaluation
// reports loss, perplexity and token accuracy (padding and prompt tokens
// excluded) and prints a few greedy completions of eval prompts.
func SFT(ctx context.Context, cfg SFTConfig, env train.Env) (train.State, error) {
	if err := cfg.Validate(); err != nil {
		return train.State{}, err
	}
	ckpt, err := start(env, cfg.Train, "sft", &cfg.Model, cfg.PEFT, cfg)
	if err != nil {
		return train.State{}, err
	}
	tok, err := openTokenizer(env, cfg.Data.Tokenizer)
	if err != nil {
		return train.State{}, err
	}
	tr, ev, err := readSplit(env, cfg.Data, cfg.Train.Seed, data.ReadSFT)
	if err != nil {
		return train.State{}, err
	}
	m, err := openModel(cfg.Model, tok, env, models.Options{Task: models.TaskLM}, &cfg.Data.MaxLen)
	if err != nil {
		return train.State{}, err
	}
	defer m.Close()
	lm, err := asLM(m, "sft", models.Causal, models.Seq2Seq)
	if err != nil {
		return train.State{}, err
	}
	ad, err := applyPEFT(cfg.PEFT, m, cfg.Model, peftCheckpoint(cfg.PEFT, ckpt), env)
	if err != nil {
		return train.State{}, err
	}
	t := tuning{adapter: ad, generation: cfg.Model.Init}
	pad, err := data.PadID(tok.Special())
	if err != nil {
		return train.State{}, err
	}
	enc := &data.Encoder{Tok: tok, MaxLen: cfg.Data.MaxLen, MaxPrompt: cfg.MaxPrompt, LossOnAll: cfg.LossOnAll}
	var samples func(context.Context) error
	if cfg.Samples > 0 && len(ev) > 0 && env.Dist.Main() {
		gc := sampleConfig(cfg.generation(), tok, pad)
		if err := gc.CheckIDs(lm.Dims().Vocab); err != nil {
			return train.State{}, fmt.Errorf("eval samples: %w", err)
		}
		samples = sampler(env, tok, enc, ev[:min(cfg.Samples, len(ev))], lm.Stepper(), gc, pad)
	}
	c := data.Collator{PadID: pad}
	if lm.Kind() == models.Seq2Seq {
		return sftSeq2Seq(ctx, cfg, env, ckpt, tok, enc, lm, t, tr, ev, c, samples)
	}
	trEnc, err := enc.EncodePairs(tr)
	if err != nil {
		return train.State{}, err
	}
	evEnc, err := enc.EncodePairs(ev)
	if err != nil {
		return train.State{}, err
	}
	st := &lmStage[data.Batch]{name: "sft causal", m: lm, logits: causalLogits(lm), tokens: tokens, items: labelledBatch(1), samples: samples, tuning: t}
	if st.eval, err = batches(evEnc, cfg.Train.BatchSize, c); err != nil {
		return train.State{}, err
	}
	return runBatches(ctx, cfg.Train, env, ckpt, st, trEnc, c, nil)
}

// sftSeq2Seq trains an encoder-decoder: the encoder reads the prompt as a
// single text would be encoded (the tokenizer's template), the decoder
// learns the response and an eos (HF's DataCollatorForSeq2Seq labels).
func sftSeq2Seq(ctx context.Context, cfg SFTConfig, env train.Env, ckpt string, tok tokenizer.Tokenizer, enc *data.Encoder, lm models.LM, t tuning,
	tr, ev []data.Example, c data.Collator, samples func(context.Context) error) (train.State, error) {
	eos := Tokens(tok).EOS
	encode := func(exs []data.Example) (src, tgt []data.Encoded, err error) {
		if src, err = enc.EncodePrompts(exs); err != nil {
			return nil, nil, err
		}
		for i, x := range exs {
			e, err := tok.Encode(x.Response, false)
			if err != nil {
				return nil, nil, fmt.Errorf("example %d response: %w", i, err)
			}
			ids := e.IDs
			if cfg.Data.MaxLen > 0 && len(ids) > cfg.Data.MaxLen-1 {
				ids = ids[:cfg.Data.MaxLen-1]
			}
			if eos >= 0 {
				ids = append(ids[:len(ids):len(ids)], eos)
			}
			tgt = append(tgt, data.Encoded{IDs: ids, TypeIDs: make([]int64, len(ids)), Labels: ids})
		}
		return src, tgt, nil
	}
	trA, trB, err := encode(tr)
	if err != nil {
		return train.State{}, err
	}
	evA, evB, err := encode(ev)
	if err != nil {
		return train.State{}, err
	}
	st := &lmStage[pairBatch]{name: "sft seq2seq", m: lm, logits: seq2seqLogits(lm), tokens: pairTokens, items: pairItems, samples: samples, tuning: t}
	if st.eval, err = pairBatches(evA, evB, cfg.Train.BatchSize, c); err != nil {
		return train.State{}, err
	}
	ld, err := newPairLoader(trA, trB, shuffled(env, cfg.Train), c)
	if err != nil {
		return train.State{}, err
	}
	env.Logf("sft seq2seq: %d training pairs (%d batches/epoch), %d eval pairs\n", len(trA), ld.Batches(), len(evA))
	return train.RunStage(ctx, env, cfg.Train, ckpt, train.Stage[pairBatch](st), ld)
}

// sampler returns the eval hook that completes prompts greedily (or as
// cfg says) and prints them beside the reference responses.
func sampler(env train.Env, tok tokenizer.Tokenizer, enc *data.Encoder, exs []data.Example, m generate.Stepper, cfg generate.Config, pad int64) func(context.Context) error {
	return func(ctx context.Context) error {
		prompts, err := enc.EncodePrompts(exs)
		if err != nil {
			return err
		}
		b, err := (data.Collator{PadID: pad, Side: data.PadLeft}).Collate(prompts)
		if err != nil {
			return err
		}
		out, err := generate.Generate(ctx, m, generate.Batch{IDs: b.InputIDs, Mask: b.AttentionMask}, cfg)
		if err != nil {
			return fmt.Errorf("samples: %w", err)
		}
		for i, x := range exs {
			text := tokenizer.Text(tok, out.Sequences[i][out.PrefixLen:])
			env.Logf("  prompt: %s\n  ref:    %s\n  model:  %s\n", clip(x.Prompt, 80), x.Response, strings.TrimSpace(text))
		}
		return nil
	}
}

// sampleConfig completes cfg's eos (the tokenizer's eos, else [SEP]) and
// pad ids for the eval samples.
func sampleConfig(cfg generate.Config, tok tokenizer.Tokenizer, pad int64) generate.Config {
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
	return cfg
}

// clip shortens s to n runes for display.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
