package main

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/pkg/rlhf"
	"github.com/gotrl/gotrl/pkg/rlhf/ppo"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// walkCommands calls fn for every command under root.
func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// TestFlagVocabulary: across every command a flag name has one meaning —
// one type and one help text — so --max-length or --output-dir never means
// two things; help is where a meaning is written down.
func TestFlagVocabulary(t *testing.T) {
	type use struct{ cmd, typ, help string }
	seen := map[string][]use{}
	walkCommands(newRootCmd(), func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			help, _, _ := strings.Cut(f.Usage, " (also --") // aliases differ by command
			seen[f.Name] = append(seen[f.Name], use{c.CommandPath(), f.Value.Type(), help})
		})
	})
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		us := seen[n]
		for _, u := range us[1:] {
			if u.typ != us[0].typ || u.help != us[0].help {
				t.Errorf("--%s has two meanings:\n  %s (%s): %s\n  %s (%s): %s", n, us[0].cmd, us[0].typ, us[0].help, u.cmd, u.typ, u.help)
			}
		}
	}
}

// TestAliases: the names flags had before HF's vocabulary still work.
func TestAliases(t *testing.T) {
	tests := []struct {
		cmd      string
		old, now string
	}{
		{"sft", "init", "model-name-or-path"}, {"sft", "model-config", "config-name"}, {"sft", "tokenizer", "tokenizer-name"},
		{"sft", "data", "train-file"}, {"sft", "eval-data", "validation-file"}, {"sft", "output", "output-dir"},
		{"sft", "lr", "learning-rate"}, {"sft", "grad-accum", "gradient-accumulation-steps"}, {"sft", "epochs", "num-train-epochs"},
		{"sft", "lr-schedule", "lr-scheduler-type"}, {"sft", "metric", "metric-for-best-model"}, {"sft", "patience", "early-stopping-patience"},
		{"sft", "max-eval", "max-eval-samples"}, {"sft", "loss-on-all", "loss-on-all-tokens"}, {"sft", "field", "fields"},
		{"pretrain", "text-field", "dataset-text-field"}, {"pretrain", "mean-span", "mean-noise-span-length"},
		{"ppo", "model", "model-name-or-path"}, {"ppo", "prompts", "train-file"}, {"ppo", "steps", "max-steps"},
		{"ppo", "lr", "learning-rate"}, {"ppo", "adaptive-kl", "adap-kl-ctrl"}, {"ppo", "output", "output-dir"},
		{"generate", "model", "model-name-or-path"}, {"generate", "output", "output-file"}, {"generate", "batch-size", "per-device-eval-batch-size"},
		{"rm score", "model", "model-name-or-path"}, {"rm score", "tokenizer", "tokenizer-name"},
	}
	root := newRootCmd()
	for _, tt := range tests {
		cmd, _, err := root.Find(strings.Fields(tt.cmd))
		if err != nil {
			t.Fatalf("%s: %v", tt.cmd, err)
		}
		f := cmd.Flags()
		if got := f.Lookup(tt.old); got == nil || got.Name != tt.now {
			t.Errorf("gotrl %s --%s: %v, want --%s", tt.cmd, tt.old, got, tt.now)
		}
	}
}

// TestYAMLKeysAreFlags: every key of a command's config file is one of its
// flags, spelled the same (snake_case ↔ kebab-case), and none is a key
// config.Unsupported refuses as a setting gotrl lacks.
func TestYAMLKeysAreFlags(t *testing.T) {
	configs := map[string]any{
		"pretrain":     func() any { c := rlhf.DefaultPretrain(); return &c }(),
		"sft":          func() any { c := rlhf.DefaultSFT(); return &c }(),
		"rm":           func() any { c := rlhf.DefaultRM(); return &c }(),
		"classifier":   func() any { c := rlhf.DefaultClassifier(); return &c }(),
		"ppo":          func() any { c := ppo.DefaultRunConfig(); return &c }(),
		"generate":     &generateConfig{},
		"rm score":     &scoreConfig{},
		"prompt train": func() any { c := defaultPETConfig(); return &c }(),
	}
	root := newRootCmd()
	for name, cfg := range configs {
		cmd, _, err := root.Find(strings.Fields(name))
		if err != nil {
			t.Fatal(err)
		}
		keys := config.Keys(cfg)
		if len(keys) < 5 {
			t.Errorf("%s: only %d keys", name, len(keys))
		}
		for _, k := range keys {
			if why, ok := config.Unsupported[k]; ok {
				t.Errorf("gotrl %s: YAML key %s is also refused as unsupported (%s)", name, k, why)
			}
			flag := strings.ReplaceAll(k, "_", "-")
			f := cmd.Flags().Lookup(flag)
			if f == nil {
				f = cmd.InheritedFlags().Lookup(flag) // the global --seed
			}
			switch {
			case f == nil && !yamlOnly[k]:
				t.Errorf("gotrl %s: YAML key %s has no flag --%s", name, k, flag)
			case f != nil && f.Name != flag:
				t.Errorf("gotrl %s: YAML key %s resolves to --%s", name, k, f.Name)
			}
		}
	}
}

// yamlOnly are config keys with no flag form (lists of lists).
var yamlOnly = map[string]bool{"bad_words_ids": true}

// TestMetricForBestModel: HF's spelling works, an unknown metric stops the
// run at its start with the stage's metrics listed.
func TestMetricForBestModel(t *testing.T) {
	args := ppoFixture(t) // a policy with its vocabulary, and prompts
	policy := args[2]
	data := sftPairs(t, 12)
	run := func(metric string) (string, error) {
		out := filepath.Join(t.TempDir(), "run")
		_, stderr, err := runGotrl("sft", "--model-name-or-path", policy, "--train-file", data, "--output-dir", out,
			"--max-steps", "2", "--eval-steps", "1", "--eval-fraction", "0.25", "--eval-samples", "0", "--max-length", "16",
			"--metric-for-best-model", metric, "--threads", "1")
		return stderr, err
	}
	if stderr, err := run("eval_loss"); err != nil || !strings.Contains(stderr, "eval step 1: accuracy") {
		t.Errorf("--metric-for-best-model eval_loss: %v (stderr %q)", err, stderr)
	}
	_, err := run("nope")
	if err == nil || !strings.Contains(err.Error(), `metric_for_best_model "nope": this stage reports eval_loss, eval_perplexity, eval_accuracy`) {
		t.Errorf("--metric-for-best-model nope: %v", err)
	}
}
