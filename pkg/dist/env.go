package dist

import (
	"fmt"
	"strconv"
	"strings"
)

// Env is the environment contract every PyTorch launcher (torchrun, Slurm
// scripts, Kubeflow's PyTorchJob) and `gotrl launch` hand each process.
type Env struct {
	Rank           int    // RANK: this process among all, 0 … WorldSize-1
	WorldSize      int    // WORLD_SIZE: processes in the job
	LocalRank      int    // LOCAL_RANK: this process on its node
	LocalWorldSize int    // LOCAL_WORLD_SIZE: processes on this node
	MasterAddr     string // MASTER_ADDR: host of the rendezvous store
	MasterPort     int    // MASTER_PORT: its port
	// AgentStore is TORCHELASTIC_USE_AGENT_STORE: torchrun's agent hosts the
	// store at MASTER_ADDR:MASTER_PORT and rank 0 must not start one.
	AgentStore bool
	// Attempt is TORCHELASTIC_RESTART_COUNT: torchrun's restart number,
	// which namespaces the agent store's keys (as torch.distributed does).
	Attempt int
}

// The variable names, as torch.distributed's env:// rendezvous reads them.
const (
	varRank       = "RANK"
	varWorld      = "WORLD_SIZE"
	varLocalRank  = "LOCAL_RANK"
	varLocalWorld = "LOCAL_WORLD_SIZE"
	varAddr       = "MASTER_ADDR"
	varPort       = "MASTER_PORT"
	varAgentStore = "TORCHELASTIC_USE_AGENT_STORE"
	varAttempt    = "TORCHELASTIC_RESTART_COUNT"
)

// Contract lists the variables FromEnv requires, for messages.
var Contract = []string{varRank, varWorld, varLocalRank, varLocalWorld, varAddr, varPort}

// FromEnv reads the contract through getenv (os.Getenv). ok is false when
// neither RANK nor WORLD_SIZE is set: a plain single-process run. A partial
// or inconsistent contract is an error naming the variable.
func FromEnv(getenv func(string) string) (e Env, ok bool, err error) {
	if getenv(varRank) == "" && getenv(varWorld) == "" {
		return Env{}, false, nil
	}
	num := func(name string, def int, lo int) (int, error) {
		s := strings.TrimSpace(getenv(name))
		if s == "" {
			if def < 0 {
				return 0, fmt.Errorf("%s is not set (a distributed launch sets %s)", name, strings.Join(Contract, ", "))
			}
			return def, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < lo {
			return 0, fmt.Errorf("%s=%q: want an integer ≥ %d", name, s, lo)
		}
		return v, nil
	}
	if e.WorldSize, err = num(varWorld, -1, 1); err != nil {
		return Env{}, false, err
	}
	if e.Rank, err = num(varRank, -1, 0); err != nil {
		return Env{}, false, err
	}
	if e.Rank >= e.WorldSize {
		return Env{}, false, fmt.Errorf("RANK=%d is not below WORLD_SIZE=%d", e.Rank, e.WorldSize)
	}
	if e.LocalRank, err = num(varLocalRank, e.Rank, 0); err != nil {
		return Env{}, false, err
	}
	if e.LocalWorldSize, err = num(varLocalWorld, e.WorldSize, 1); err != nil {
		return Env{}, false, err
	}
	switch {
	case e.LocalWorldSize > e.WorldSize:
		return Env{}, false, fmt.Errorf("LOCAL_WORLD_SIZE=%d exceeds WORLD_SIZE=%d", e.LocalWorldSize, e.WorldSize)
	case e.LocalRank >= e.LocalWorldSize:
		return Env{}, false, fmt.Errorf("LOCAL_RANK=%d is not below LOCAL_WORLD_SIZE=%d", e.LocalRank, e.LocalWorldSize)
	}
	if e.WorldSize == 1 {
		return e, true, nil // nothing to rendezvous with
	}
	if e.MasterAddr = strings.TrimSpace(getenv(varAddr)); e.MasterAddr == "" {
		return Env{}, false, fmt.Errorf("MASTER_ADDR is not set (WORLD_SIZE=%d needs the rendezvous host)", e.WorldSize)
	}
	if e.MasterPort, err = num(varPort, -1, 1); err != nil {
		return Env{}, false, err
	}
	if e.MasterPort > 65535 {
		return Env{}, false, fmt.Errorf("MASTER_PORT=%d: want a TCP port (1–65535)", e.MasterPort)
	}
	e.AgentStore = strings.EqualFold(getenv(varAgentStore), "true") || getenv(varAgentStore) == "1"
	if e.Attempt, err = num(varAttempt, 0, 0); err != nil {
		return Env{}, false, err
	}
	return e, true, nil
}

// Vars returns e as environment assignments (NAME=value), as a launcher
// sets them for one process.
func (e Env) Vars() []string {
	return []string{
		varRank + "=" + strconv.Itoa(e.Rank),
		varWorld + "=" + strconv.Itoa(e.WorldSize),
		varLocalRank + "=" + strconv.Itoa(e.LocalRank),
		varLocalWorld + "=" + strconv.Itoa(e.LocalWorldSize),
		varAddr + "=" + e.MasterAddr,
		varPort + "=" + strconv.Itoa(e.MasterPort),
	}
}
