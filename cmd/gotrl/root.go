package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/dist"
	"github.com/gotrl/gotrl/pkg/train"
)

// version and commit are set at build time (make build: -ldflags
// "-X main.version=… -X main.commit=…").
var version, commit = "dev", ""

// globals are the flags every subcommand shares.
type globals struct {
	device  string
	seed    int64
	threads int
	// data parallelism under a launcher (HF ddp_backend, ddp_timeout)
	ddpBackend string
	ddpTimeout int // seconds
}

var global globals

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "gotrl",
		Short:         "Train, align and prompt transformer language models on libtorch, from Go",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetVersionTemplate(versionLine() + "\n")
	pf := root.PersistentFlags()
	pf.StringVar(&global.device, "device", "auto", "device: auto, cpu, cuda or cuda:N")
	pf.Int64Var(&global.seed, "seed", 42, config.Vocabulary["seed"])
	pf.IntVar(&global.threads, "threads", 0, "libtorch CPU threads (0: libtorch's default; under a launcher, cores ÷ processes per node)")
	pf.StringVar(&global.ddpBackend, "ddp-backend", "", "data-parallel backend under a launcher: gloo (CPU) or nccl (CUDA); default by device")
	pf.IntVar(&global.ddpTimeout, "ddp-timeout", int(dist.DefaultTimeout/time.Second), "seconds the rendezvous and each collective may take before the job fails")
	root.AddCommand(newVersionCmd(), newEnvCmd(), newBenchCmd(), newDataCmd())
	root.AddCommand(newPretrainCmd(), newSFTCmd(), newRMCmd(), newClassifierCmd(), newPlotCmd())
	root.AddCommand(newGenerateCmd(), newEvalCmd(), newDownloadCmd())
	root.AddCommand(newPPOCmd(), newPipelineCmd())
	root.AddCommand(newPromptCmd())
	root.AddCommand(newTokenizerCmd(), newLaunchCmd(), newMergeAdapterCmd())
	root.PersistentPostRunE = func(*cobra.Command, []string) error { return job.Close() }
	return root
}

// setup applies the global flags, seeds libtorch and returns the chosen
// device. Training commands pass their config's seed (their --seed
// shadows the global one).
func setup(seed int64) (gotch.Device, error) {
	if _, err := tensor.AllocatorInfo(); err != nil {
		return gotch.CPU, err
	}
	threads := global.threads
	if e, ok, _ := dist.FromEnv(os.Getenv); threads == 0 && ok && e.LocalWorldSize > 1 {
		threads = max(1, runtime.NumCPU()/e.LocalWorldSize) // torchrun sets OMP_NUM_THREADS=1 for the same reason
	}
	if threads != 0 {
		if err := tensor.SetThreads(threads); err != nil {
			return gotch.CPU, fmt.Errorf("--threads: %w", err)
		}
	}
	tensor.Seed(seed)
	dev, err := tensor.ParseDevice(global.device)
	if err != nil {
		return gotch.CPU, fmt.Errorf("--device: %w", err)
	}
	return dev, nil
}

// job is the data-parallel job a training command joined (nil: none).
var job *dist.Group

// joinJob joins the data-parallel job the launcher's environment describes
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), if any: CUDA ranks take the device cuda:LOCAL_RANK, and
// ranks other than 0 print no progress or data log (HF logs on the main
// process only).
func joinJob(env train.Env) (train.Env, error) {
	if e, ok, _ := dist.FromEnv(os.Getenv); ok && env.Device.IsCuda() && (global.device == "auto" || global.device == "cuda") {
		env.Device = gotch.CudaBuilder(uint(e.LocalRank))
	}
	g, err := joinGroup(env.Device.IsCuda())
	if err != nil {
		return env, err
	}
	env.Dist = g
	if !g.Main() {
		env.Progress, env.Log = nil, nil
	}
	return env, nil
}

// onCUDA reports whether --device picks CUDA.
func onCUDA() bool {
	dev, err := tensor.ParseDevice(global.device)
	return err == nil && dev.IsCuda()
}

// joinGroup joins the job the environment describes (nil: none) with the
// backend for CUDA or CPU tensors.
func joinGroup(cuda bool) (*dist.Group, error) {
	e, ok, err := dist.FromEnv(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("distributed launch: %w", err)
	}
	if !ok || e.WorldSize == 1 {
		return nil, nil
	}
	backend, err := dist.ParseBackend(global.ddpBackend, cuda)
	if err != nil {
		return nil, fmt.Errorf("--ddp-backend: %w", err)
	}
	if global.ddpTimeout <= 0 {
		return nil, fmt.Errorf("--ddp-timeout %d: want seconds > 0", global.ddpTimeout)
	}
	g, err := dist.Init(e, dist.Options{Backend: backend, Timeout: time.Duration(global.ddpTimeout) * time.Second})
	if err != nil {
		return nil, err
	}
	job = g
	return g, nil
}
