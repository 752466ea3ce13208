package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/pkg/data/tokenizer"
	"github.com/gotrl/gotrl/pkg/models"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/lora"
)

// mergeConfig is `gotrl merge-adapter`'s configuration.
type mergeConfig struct {
	Adapter string `yaml:"adapter" help:"PEFT adapter directory (adapter_config.json + adapter_model.safetensors), e.g. a --use-peft run"`
	Model   string `yaml:"model_name_or_path" hub:"model" alias:"model"`
	Output  string `yaml:"output_dir" alias:"output" short:"o"`
}

func newMergeAdapterCmd() *cobra.Command {
	var c mergeConfig
	cmd := &cobra.Command{
		Use:   "merge-adapter",
		Short: "Fold a LoRA adapter into its base model and save a plain checkpoint (PEFT's merge_and_unload)",
		Long: "Loads the base model (--model-name-or-path, default: the adapter's base_model_name_or_path), applies the\n" +
			"adapter, adds scale·B·A to each adapted weight and saves config.json + model.safetensors (and the\n" +
			"tokenizer) in --output-dir: a model transformers and every gotrl command load without PEFT.\n" +
			"A classification or reward adapter keeps its head (modules_to_save).",
		Example: "  gotrl merge-adapter --adapter runs/sft-lora --output-dir runs/sft-merged",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.Adapter == "" || c.Output == "" {
				return errors.New("--adapter and --output-dir are required")
			}
			if err := resolveHub(cmd, &c); err != nil {
				return err
			}
			cfg, err := lora.ReadConfig(c.Adapter)
			if err != nil {
				return err
			}
			if c.Model != "" {
				cfg.BaseModel = c.Model
			}
			if cfg.BaseModel == "" {
				return fmt.Errorf("%s has no base_model_name_or_path: give --model-name-or-path", filepath.Join(c.Adapter, lora.ConfigFile))
			}
			dev, err := setup(global.seed)
			if err != nil {
				return err
			}
			m, err := lora.LoadMerged(c.Adapter, cfg.BaseModel, models.Options{Device: dev})
			if err != nil {
				return err
			}
			defer m.Close()
			if err := m.Save(c.Output); err != nil {
				return err
			}
			if _, ok := m.(models.LM); ok { // a classifier does not generate
				if err := generate.CarryDefaults(cfg.BaseModel, c.Output); err != nil {
					return err
				}
			}
			for _, src := range []string{c.Adapter, cfg.BaseModel} { // the run copied its tokenizer; else the base's
				if _, err := tokenizer.SaveFiles(src, c.Output); err == nil {
					break
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %s into %s: %s\n", c.Adapter, cfg.BaseModel, c.Output)
			return nil
		},
	}
	mustBind(cmd, &c)
	return cmd
}
