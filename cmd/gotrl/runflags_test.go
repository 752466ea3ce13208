package main

import (
	"io"
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
	yaml := "max_steps: 7\nlearning_rate: 0.1\noutput_dir: from-file\nfields: [prompt=content]\nmax_length: 99\nloss_on_all_tokens: true\n"
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
			cfg, cmd := sftStage(func(*rlhf.SFTConfig) {})
			cmd.SetArgs(tt.args)
			global.device = "cpu"
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(*cfg); msg != "" {
				t.Errorf("%s: %+v", msg, *cfg)
			}
		})
	}
}

// sftStage is the sft command's configuration path without the training:
// its RunE resolves the configuration and hands it to done.
func sftStage(done func(*rlhf.SFTConfig)) (*rlhf.SFTConfig, *cobra.Command) {
	cfg := rlhf.DefaultSFT()
	s := &stage{cfg: &cfg, defaults: func() any { c := rlhf.DefaultSFT(); return &c }, seed: &cfg.Train.Seed, outputDir: &cfg.Train.OutputDir}
	cmd := &cobra.Command{Use: "sft", RunE: func(cmd *cobra.Command, _ []string) error {
		_, err := s.resolve(cmd)
		done(&cfg)
		return err
	}}
	s.bind(cmd)
	cmd.SetErr(io.Discard)
	return &cfg, cmd
}
