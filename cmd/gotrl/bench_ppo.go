package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/rlhf/ppo"
)

// newBenchPPOCmd times PPO iterations (rollout + Step) on a randomly
// initialised GPT-2 with a value head; the peer figure comes from
// bench/ppo.py (TRL 0.11.4, same shapes and settings).
func newBenchPPOCmd() *cobra.Command {
	var query, response, iters int
	var quantize string
	shape := gpt2Shape{layers: 4, embd: 256, heads: 4, vocab: 21128}
	cfg := ppo.DefaultConfig()
	cfg.BatchSize, cfg.MiniBatchSize, cfg.PPOEpochs = 16, 4, 4
	cmd := &cobra.Command{
		Use:     "ppo",
		Short:   "Seconds per PPO iteration (sampling rollout + PPO step) of a GPT-2 with a value head",
		Example: "  gotrl bench ppo --threads 2            # 4×256, vocab 21128, batch 16, mini-batch 4, 4 epochs, query 8, response 16",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dev, err := setup(global.seed)
			if err != nil {
				return err
			}
			c := shape.config()
			c.NPositions = 128
			c.EosTokenID = nil
			newPolicy := func() (*ppo.ValueModel, error) {
				store := nn.NewStore(dev)
				m, err := gpt2.New(store.Root(), c)
				if err != nil {
					store.Close()
					return nil, err
				}
				return ppo.WithValueHead(gpt2.NewCausalLM(m, store), 0)
			}
			policy, err := newPolicy()
			if err != nil {
				return err
			}
			defer policy.Close()
			ref, err := newPolicy()
			if err != nil {
				return err
			}
			defer ref.Close()
			for i, v := range ref.LM.Store().Vars() {
				if err := tensor.CopyInto(v.T, policy.LM.Store().Vars()[i].T); err != nil {
					return err
				}
			}
			tr, err := ppo.NewTrainer(cfg, policy, ref)
			if err != nil {
				return err
			}
			defer tr.Close()
			rc := ppo.DefaultRolloutConfig() // no eos: every response is exactly --response tokens
			rc.MinLength, rc.MaxLength = response, response
			rc.Quantize = layers.Precision(quantize)
			if err := rc.Validate(); err != nil {
				return err // names the flag
			}
			rng := rand.New(rand.NewPCG(uint64(global.seed), 2))
			var roll, step, cpu time.Duration
			for it := 0; it <= iters; it++ { // iteration 0 warms up
				queries := randomPrompts(rng, cfg.BatchSize, query, shape.vocab).IDs
				t0, cpu0 := time.Now(), procCPU()
				responses, err := tr.Rollout(cmd.Context(), queries, rc, int64(it))
				if err != nil {
					return err
				}
				t1 := time.Now()
				scores := make([]float64, len(queries))
				for i := range scores {
					scores[i] = rng.NormFloat64()
				}
				if _, err := tr.Step(queries, responses, scores); err != nil {
					return err
				}
				if it > 0 {
					roll, step, cpu = roll+t1.Sub(t0), step+time.Since(t1), cpu+procCPU()-cpu0
				}
			}
			r, s := roll.Seconds()/float64(iters), step.Seconds()/float64(iters)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "gotrl PPO  gpt2 %d×%d vocab %d  batch %d mini %d epochs %d query %d response %d  rollouts %s  threads %d\n",
				shape.layers, shape.embd, shape.vocab, cfg.BatchSize, cfg.MiniBatchSize, cfg.PPOEpochs, query, response, rc.Quantize.Resolve(dev), tensor.Threads())
			fmt.Fprintf(out, "gotrl per iteration %.3f s  (rollout %.3f s + step %.3f s)  %.3f cpu s  over %d iterations\n", r+s, r, s, cpu.Seconds()/float64(iters), iters)
			printAlloc(cmd.ErrOrStderr())
			return nil
		},
	}
	f := cmd.Flags()
	shape.bind(f)
	f.IntVar(&query, "query", 8, "query tokens")
	f.IntVar(&response, "response", 16, "response tokens")
	f.IntVar(&iters, "iters", 5, "timed iterations (after one warm-up)")
	f.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "samples per PPO step (rollout batch)")
	f.IntVar(&cfg.MiniBatchSize, "mini-batch-size", cfg.MiniBatchSize, "samples per forward/backward")
	f.IntVar(&cfg.PPOEpochs, "ppo-epochs", cfg.PPOEpochs, "passes over each batch")
	f.StringVar(&quantize, "rollout-quantize", "", config.Vocabulary["rollout_quantize"])
	return cmd
}
