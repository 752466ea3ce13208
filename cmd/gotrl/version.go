package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/gotrl/gotrl/internal/tensor"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gotrl's version and what it was built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}

// versionLine is what `gotrl version` and `gotrl --version` print.
func versionLine() string {
	v := version
	if commit != "" {
		v += " (commit " + commit + ")"
	}
	return fmt.Sprintf("gotrl %s, %s, libtorch %s, gotch %s patched", v, runtime.Version(), tensor.Version(), tensor.GotchVersion)
}
