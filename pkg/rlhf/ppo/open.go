package ppo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/rlhf/reward"
	"github.com/gotrl/gotrl/pkg/train"
)

// Train runs `gotrl ppo`: it prepares the run directory (writing the
// resolved config.yaml, or reading the newest checkpoint with env.Resume),
// loads the policy, the reference, the reward models and the prompts, and
// trains. Interrupted (ctx cancelled), it saves a checkpoint and returns
// an error wrapping train.ErrInterrupted.
func Train(ctx context.Context, cfg RunConfig, env train.Env) (State, error) {
	if err := cfg.Validate(); err != nil {
		return State{}, err
	}
	if err := cfg.Reward.Validate(); err != nil {
		return State{}, err
	}
	if cfg.Model == "" {
		return State{}, fmt.Errorf("model_name_or_path is required (the policy to train)")
	}
	if len(cfg.Prompts.Path) == 0 {
		return State{}, fmt.Errorf("train_file is required (the prompts)")
	}
	main := env.Dist.Main()
	if main {
		if err := train.PrepareOutputDir(cfg.OutputDir, env.Resume, env.Overwrite); err != nil {
			return State{}, err
		}
	}
	if err := env.Dist.Barrier(); err != nil {
		return State{}, err
	}
	start := cfg.Model
	if env.Resume {
		ckpt, err := train.LatestCheckpoint(cfg.OutputDir)
		if err != nil {
			return State{}, fmt.Errorf("--resume: %w", err)
		}
		start = ckpt
	} else if main {
		if err := train.WriteConfig(cfg.OutputDir, cfg); err != nil {
			return State{}, err
		}
	}
	loop, closeAll, err := Open(cfg, start, env)
	if err != nil {
		return State{}, err
	}
	defer closeAll()
	if err := loop.Trainer.WithGroup(env.Dist); err != nil {
		return State{}, err
	}
	if env.Resume {
		if err := loop.Resume(start); err != nil {
			return State{}, err
		}
		env.Logf("resuming from %s (step %d)\n%s", start, loop.state.Step, train.ThreadsNote(loop.state.Threads))
	}
	return loop.Run(ctx)
}

// Open loads what a run needs — the policy from start (cfg.Model, or a
// checkpoint to resume), the reference, the reward models bound to the
// policy's tokenizer, the encoded prompts — and returns the loop; close
// frees everything it loaded.
func Open(cfg RunConfig, start string, env train.Env) (loop *Loop, close func(), err error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	tokPath := cfg.Tokenizer
	if tokPath == "" {
		tokPath = cfg.Model
	}
	tok, err := tokenizer.Open(tokPath)
	if err != nil {
		return nil, nil, err
	}
	tokens := rlhf.Tokens(tok)
	opts := models.Options{Device: env.Device, Tokens: &tokens, Warn: func(msg string) { env.Logf("policy: %s\n", msg) }}
	// A PEFT run's checkpoint holds the adapter and the value head: the
	// policy is the base model with them.
	ckpt := ""
	if cfg.PEFT.UsePEFT && start != cfg.Model {
		start, ckpt = cfg.Model, start
	}
	policy, err := LoadValueModel(start, opts)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, policy.Close)
	policy.Generation = cfg.Model
	if policy.Adapter, err = rlhf.ApplyPEFT(cfg.PEFT, policy.LM, models.Source{Init: cfg.Model}, ckpt, env, "v_head"); err != nil {
		return nil, nil, err
	}
	if err := rlhf.CheckVocab(tok, policy.LM); err != nil {
		return nil, nil, fmt.Errorf("policy %s: %w", start, err)
	}
	refDir := cfg.RefModel
	if refDir == "" {
		refDir = cfg.Model
	}
	opts.Warn = nil
	ref, err := LoadValueModel(refDir, opts)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, ref.Close)
	if p, r := policy.LM.Dims(), ref.LM.Dims(); p.Vocab != r.Vocab {
		return nil, nil, fmt.Errorf("the reference model %s has vocab_size %d but the policy %s has %d: the reference must share the policy's tokenizer", refDir, r.Vocab, cfg.Model, p.Vocab)
	}
	scorer, closeRewards, err := openRewards(cfg.Reward, tok, env)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, closeRewards)
	texts, err := readPrompts(cfg.Prompts, tokPath)
	if err != nil {
		return nil, nil, fmt.Errorf("train_file (--train-file, the prompts): %w", err)
	}
	prompts, err := encodePrompts(cfg, texts, tok, policy.LM)
	if err != nil {
		return nil, nil, err
	}
	env.Logf("ppo: %d prompts from %s\n", len(prompts), strings.Join(cfg.Prompts.Path, ", "))
	// Rollouts take what their settings leave out from the starting
	// policy's generation defaults (a resumed run reads them there again),
	// stop at its eos and pad with its pad id.
	if cfg.Rollout, err = cfg.Rollout.WithDefaults(cfg.Model, policy.LM.Config()); err != nil {
		return nil, nil, fmt.Errorf("rollouts: policy %s: %w", cfg.Model, err)
	}
	tk := policy.LM.Tokens()
	pad, err := data.PadID(tok.Special())
	if tk.Pad >= 0 {
		pad, err = tk.Pad, nil
	}
	if err != nil {
		return nil, nil, err
	}
	vocab := policy.LM.Dims().Vocab
	if len(cfg.Rollout.EOSTokenID) == 0 {
		var outside generate.IDs
		cfg.Rollout.EOSTokenID, outside = cfg.Rollout.defaultEOS(vocab)
		if len(outside) > 0 {
			env.Logf("policy: the generation defaults' eos_token_id %v is outside the vocabulary of %d tokens: rollouts do not stop at it\n", outside, vocab)
		}
	}
	if len(cfg.Rollout.EOSTokenID) == 0 && tk.EOS >= 0 {
		cfg.Rollout.EOSTokenID = []int64{tk.EOS}
	}
	cfg.Rollout.PadTokenID, cfg.PPO.PadTokenID = &pad, pad
	if err := (generate.Config{EOSTokenID: cfg.Rollout.EOSTokenID, PadTokenID: &pad}).CheckIDs(vocab); err != nil {
		return nil, nil, fmt.Errorf("rollouts: policy %s: %w", start, err)
	}
	tr, err := NewTrainer(cfg.PPO, policy, ref)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, tr.Close)
	loop = &Loop{Config: cfg, Trainer: tr, Prompts: prompts, Reward: scorer, Out: env.Progress,
		Decode: func(ids []int64) string { return tokenizer.Text(tok, ids) }}
	return loop, closeAll, nil
}

// openRewards opens each reward model with its own tokenizer, bound to
// the policy's, and sums them with their weights.
func openRewards(rc RewardConfig, policyTok tokenizer.Tokenizer, env train.Env) (reward.Sum, func(), error) {
	var sum reward.Sum
	var models []*reward.Model
	closeAll := func() {
		for _, m := range models {
			m.Close()
		}
	}
	for i, dir := range rc.Models {
		tok, label, weight := rc.part(i)
		m, err := reward.Open(dir, reward.Options{Device: env.Device, Tokenizer: tok, Label: label, Input: rc.Input, Output: rc.Output})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		models = append(models, m)
		m.Bind(policyTok)
		how := "text hand-off (decoded and re-encoded with its own tokenizer)"
		if m.IDLevel() {
			how = "token ids (same vocabulary)"
		}
		o := m.Options()
		env.Logf("reward %s: weight %g, %s of label %d, reads %s inputs by %s\n", filepath.Clean(dir), weight, o.Output, o.Label, o.Input, how)
		sum = append(sum, reward.Part{Scorer: m, Weight: weight, Name: dir})
	}
	return sum, closeAll, nil
}

// readPrompts reads the prompt texts: .txt lines, or records whose
// prompt is a text or a conversation (rendered with the tokenizer's chat
// template, the generation prompt added).
func readPrompts(c Prompts, tokPath string) ([]string, error) {
	fm, err := data.ParseFieldMap(c.Fields)
	if err != nil {
		return nil, fmt.Errorf("fields: %w", err)
	}
	chat, err := data.LoadChatTemplate(tokPath)
	if err != nil {
		return nil, err
	}
	opt := data.Options{Fields: fm, Chat: chat}
	var out []string
	for _, p := range c.Path {
		if strings.EqualFold(filepath.Ext(p), ".txt") {
			texts, err := data.ReadTexts(p, "prompt", opt)
			if err != nil {
				return nil, err
			}
			out = append(out, texts...)
			continue
		}
		exs, _, err := data.ReadPrompts(p, opt)
		if err != nil {
			return nil, err
		}
		for _, x := range exs {
			out = append(out, x.Prompt)
		}
	}
	return out, nil
}

// encodePrompts encodes each prompt as SFT encodes a prompt (the
// tokenizer's template: [CLS] prompt [SEP] for BERT vocabularies), keeping
// the first max_prompt_length tokens, and at most what leaves room for
// output_max_length new tokens.
func encodePrompts(cfg RunConfig, texts []string, tok tokenizer.Tokenizer, lm models.LM) ([][]int64, error) {
	enc := &data.Encoder{Tok: tok, MaxPrompt: cfg.Prompts.MaxLength}
	if p := lm.Dims().MaxPositions; p > 0 && lm.Kind() == models.Causal {
		enc.MaxLen = int(p) - cfg.Rollout.MaxLength
		if enc.MaxLen < 2 {
			return nil, fmt.Errorf("output_max_length %d leaves no room for a prompt in the policy's %d positions", cfg.Rollout.MaxLength, p)
		}
	}
	out := make([][]int64, len(texts))
	for i, t := range texts {
		e, err := enc.Single(t)
		if err != nil {
			return nil, fmt.Errorf("prompt %d: %w", i+1, err)
		}
		if len(e.IDs) == 0 {
			return nil, fmt.Errorf("prompt %d is empty after tokenization", i+1)
		}
		out[i] = e.IDs
	}
	return out, nil
}
