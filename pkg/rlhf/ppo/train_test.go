package ppo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/train"
)

// words are the test vocabularies' tokens: the policy's vocab.txt lists
// them in this order, the reward classifier's in reverse, so every id
// differs and rewards go through the text hand-off.
var words = strings.Split("的一是在不了有和人这中大为上个国我以要他好很差", "")

func writeVocab(t *testing.T, dir string, ws []string) {
	t.Helper()
	all := append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, ws...)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(all, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// smallPolicy saves a fresh 2-layer GPT-2 over the policy vocabulary (eos
// and pad from it) with its tokenizer into dir.
func smallPolicy(t *testing.T, dir string) {
	t.Helper()
	c := gpt2.Default()
	inner, sep, pad := int64(64), int64(3), int64(0)
	c.VocabSize, c.NPositions, c.NEmbd, c.NLayer, c.NHead, c.NInner = 32, 64, 32, 2, 4, &inner
	c.ResidPdrop, c.EmbdPdrop, c.AttnPdrop = 0, 0, 0
	c.BosTokenID, c.EosTokenID, c.PadTokenID = nil, &sep, &pad
	store := nn.NewStore(gotch.CPU)
	m, err := gpt2.New(store.Root(), c)
	if err != nil {
		t.Fatal(err)
	}
	lm := gpt2.NewCausalLM(m, store)
	defer lm.Close()
	if err := lm.Save(dir); err != nil {
		t.Fatal(err)
	}
	writeVocab(t, dir, words)
}

// TestPPORaisesClassifierScore trains a GPT-2 policy against a BERT
// sequence classifier with its own, different vocabulary (the book's
// sentiment practical in miniature): the classifier's label-1 logit must
// rise over the run.
func TestPPORaisesClassifierScore(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	root := t.TempDir()
	policy, rewardTok := filepath.Join(root, "policy"), filepath.Join(root, "reward-tok")
	tensor.Seed(7)
	smallPolicy(t, policy)
	writeVocab(t, rewardTok, reversed(words))
	prompts := filepath.Join(root, "prompts.txt")
	if err := os.WriteFile(prompts, []byte("这个人\n我很\n他的国\n中国的\n大上\n一个\n这是\n我要\n他们\n在国\n不好\n很大\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultRunConfig()
	cfg.Model, cfg.Prompts.Path, cfg.OutputDir = policy, data.Files{prompts}, filepath.Join(root, "run")
	cfg.Reward.Models, cfg.Reward.Tokenizers, cfg.Reward.Labels = []string{fixture("bert-seqcls")}, []string{rewardTok}, []int{1}
	cfg.PPO.BatchSize, cfg.PPO.MiniBatchSize, cfg.PPO.PPOEpochs, cfg.PPO.LearningRate, cfg.PPO.InitKLCoef = 12, 6, 4, 5e-3, 0.02
	cfg.Rollout.MinLength, cfg.Rollout.MaxLength = 4, 6
	cfg.MaxSteps, cfg.SampleSteps = 30, 0
	cfg.BF16 = train.BF16Off // the same run on every CPU (auto turns bf16 on where the CPU has it)
	var log strings.Builder
	if _, err := Train(context.Background(), cfg, train.Env{Device: gotch.CPU, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "text hand-off") {
		t.Errorf("the reward log does not say it decodes and re-encodes: %s", log.String())
	}
	recs, err := train.ReadMetrics(cfg.OutputDir)
	if err != nil {
		t.Fatal(err)
	}
	var rewards []float64
	for _, r := range recs {
		rewards = append(rewards, r["env/reward_mean"])
	}
	first, last := avg(rewards[:5]), avg(rewards[len(rewards)-5:])
	t.Logf("classifier logit: first 5 steps %.3f, last 5 %.3f", first, last)
	if last < first+0.2 {
		t.Errorf("the classifier's score did not rise: %.3f → %.3f", first, last)
	}
}

func fixture(name string) string { return filepath.Join("..", "..", "..", "testdata", "models", name) }

func reversed(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}
