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
			fmt.Fprintf(cmd.OutOrStdout(), "gotrl %s (%s, libtorch %s, gotch %s patched)\n",
				version, runtime.Version(), tensor.Version(), tensor.GotchVersion)
			return nil
		},
	}
}
