// Command gotrl trains transformer language models on libtorch: pretraining,
// SFT, reward models and PPO for GPT-2, BERT and T5 families, plus prompt
// learning experiments. Run `gotrl --help` for the subcommands.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// init pins the main goroutine to the main OS thread: libtorch's OpenMP
// thread team, grad mode and autocast belong to the OS thread that calls
// into it, and Go would otherwise move the goroutine between threads
// between cgo calls (greedy decoding went from 31 to 46 tok/s at batch 1).
func init() { runtime.LockOSThread() }

func main() {
	if err := newRootCmd().Execute(); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "gotrl:", err)
		os.Exit(1)
	}
}
