// Package dist runs data-parallel training on libtorch's own c10d, the
// engine of torch.distributed: a TCPStore rendezvous, a Gloo process group
// on CPU (NCCL on CUDA, untested) and the collectives DDP uses — bucketed
// all-reduce, broadcast, barrier.
//
// A process joins with the environment contract every PyTorch launcher
// sets (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT; torchrun's TORCHELASTIC_USE_AGENT_STORE), so torchrun, Slurm,
// Kubeflow's PyTorchJob and `gotrl launch` start gotrl jobs alike:
//
//	env, ok, err := dist.FromEnv(os.Getenv)
//	g, err := dist.Init(env, dist.Options{Timeout: 30 * time.Minute})
//	defer g.Close()
//	err = g.AllReduce(grads, dist.Sum)
//
// Failures are errors, never hangs or aborts: a missing rank at start, a
// port in use or a WORLD_SIZE that differs between ranks fail the
// rendezvous with a message naming them; a rank lost mid-run fails the next
// collective, and a heartbeat each rank keeps in the store names the lost
// rank. Collectives run on the caller's thread (libtorch state is per OS
// thread); only the heartbeat runs on its own goroutine, and it touches no
// tensor.
package dist
