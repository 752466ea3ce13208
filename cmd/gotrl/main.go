// Command gotrl trains transformer language models on libtorch: pretraining,
// SFT, reward models and PPO for GPT-2, BERT and T5 families, plus prompt
// learning experiments. Run `gotrl --help` for the subcommands.
//
// main runs on the main OS thread, locked there by internal/tensor's init
// (the thread rule: libtorch's thread team, grad mode and autocast are per
// OS thread).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/gotrl/gotrl/pkg/dist"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "gotrl:", err)
		if lost := (*dist.LostError)(nil); errors.As(err, &lost) {
			os.Exit(lostRankCode) // another rank's failure is the cause: launch reports that one
		}
		os.Exit(1)
	}
}
