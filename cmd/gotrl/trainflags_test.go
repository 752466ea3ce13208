package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/rlhf"
)

// TestFlagsOverrideConfigFile: defaults < --config file < flags the user
// set; flags left alone do not clobber the file's values.
func TestFlagsOverrideConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sft.yaml")
	yaml := "train:\n  max_steps: 7\n  optimizer:\n    learning_rate: 0.1\n  output_dir: from-file\ndata:\n  fields: [prompt=content]\n  max_length: 99\nloss_on_all_tokens: true\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		check func(c rlhf.SFTConfig) string
	}{
		{"file only", []string{"--config", file}, func(c rlhf.SFTConfig) string {
			if c.Train.MaxSteps != 7 || c.Train.Optimizer.LR != 0.1 || c.Data.MaxLen != 99 || !c.LossOnAll || c.Train.OutputDir != "from-file" {
				return "file values lost"
			}
			return ""
		}},
		{"flags win", []string{"--config", file, "--lr", "0.2", "--field", "response=title", "-o", "flag-dir"}, func(c rlhf.SFTConfig) string {
			if c.Train.Optimizer.LR != 0.2 || c.Train.MaxSteps != 7 || strings.Join(c.Data.Fields, ",") != "response=title" || c.Train.OutputDir != "flag-dir" {
				return "flags did not override exactly what was set"
			}
			return ""
		}},
		{"defaults", []string{"-o", "x"}, func(c rlhf.SFTConfig) string {
			d := rlhf.DefaultSFT()
			if c.Train.Optimizer.LR != d.Train.Optimizer.LR || c.Data.MaxLen != d.Data.MaxLen {
				return "defaults changed"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := rlhf.DefaultSFT()
			var run runFlags
			var got rlhf.SFTConfig
			cmd := &cobra.Command{Use: "sft", RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := run.resolve(cmd, &cfg, &cfg.Train, func() { cfg = rlhf.DefaultSFT() })
				got = cfg
				return err
			}}
			run.bind(cmd.Flags())
			bindTrain(cmd.Flags(), &cfg.Train)
			bindData(cmd.Flags(), &cfg.Data)
			cmd.SetArgs(tt.args)
			global.device = "cpu"
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(got); msg != "" {
				t.Errorf("%s: %+v", msg, got)
			}
		})
	}
}
