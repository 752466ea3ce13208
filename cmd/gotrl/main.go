// Command gotrl trains transformer language models on libtorch: pretraining,
// SFT, reward models and PPO for GPT-2, BERT and T5 families, plus prompt
// learning experiments. Run `gotrl --help` for the subcommands.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "gotrl:", err)
		os.Exit(1)
	}
}
