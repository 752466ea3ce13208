package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/pkg/data"
)

// TRL's ScriptArguments defaults for the splits.
const (
	defaultTrainSplit = "train"
	defaultTestSplit  = "test"
)

// resolveDataset turns cfg's dataset_name (a hub data set, or a local
// directory of the same spelling) into data files: its train split
// becomes train_file and, where the command evaluates and no
// validation_file is given, its test split validation_file. A test split
// the dataset lacks means no evaluation set when the split was left at
// its default (most hub data sets have only train), and is refused when
// it was named. Afterwards cfg names the files, not the id, so the run's
// config.yaml records the snapshot paths (which name the commit) and a
// resumed run reads the very same files.
func resolveDataset(cmd *cobra.Command, cfg any) error {
	ds := config.Inline[data.HubDataset](cfg)
	if ds == nil {
		return nil
	}
	if ds.Name == "" {
		for flag, v := range map[string]string{"dataset-config": ds.Config, "dataset-train-split": ds.TrainSplit, "dataset-test-split": ds.TestSplit} {
			if v != "" {
				return fmt.Errorf("--%s %s: give the data set with --dataset-name", flag, v)
			}
		}
		return nil
	}
	trainFile, _ := config.Pointer(cfg, "train_file").(*data.Files)
	evalFile, _ := config.Pointer(cfg, "validation_file").(*data.Files)
	if trainFile == nil {
		return errors.New("--dataset-name: this command reads no training data")
	}
	if len(*trainFile) > 0 {
		return fmt.Errorf("--train-file %s and --dataset-name %s both name the training data: give one", strings.Join(*trainFile, ","), ds.Name)
	}
	train, test := or(ds.TrainSplit, defaultTrainSplit), or(ds.TestSplit, defaultTestSplit)
	splits := []string{train}
	evaluate := evalFile != nil && len(*evalFile) == 0
	if evaluate {
		splits = append(splits, test)
	}
	d, err := hubClient(cmd.ErrOrStderr()).Dataset(cmd.Context(), ds.Name, ds.Config, splits...)
	if err != nil {
		return fmt.Errorf("--dataset-name: %w", err)
	}
	files, err := d.Split(train)
	if err != nil {
		return fmt.Errorf("--dataset-train-split: %s: %w", ds.Name, err)
	}
	*trainFile = files
	if evaluate {
		files, err := d.Split(test)
		switch {
		case err == nil:
			*evalFile = files
		case ds.TestSplit != "":
			return fmt.Errorf("--dataset-test-split: %s: %w", ds.Name, err)
		default:
			fmt.Fprintf(cmd.ErrOrStderr(), "dataset %s has no %s split (its splits: %s): no evaluation set\n", ds.Name, test, strings.Join(d.Splits, ", "))
		}
	}
	*ds = data.HubDataset{}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
