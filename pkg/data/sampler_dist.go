package data

// Data parallelism (torch's DistributedSampler, arranged so that W ranks
// with batch b train on exactly what one process with batch W·b does): the
// epoch's seeded plan is made for the global batch, and each global batch
// is split into W disjoint shards, rank r taking rows [r·b, (r+1)·b).
//
// A short last global batch (k < W·b rows, kept unless DropLast) is padded
// by repeating its own rows cyclically to a multiple of W, as
// DistributedSampler pads its index list, so every rank gets ⌈k/W⌉ rows and
// takes the same number of steps; DropLast drops it on every rank (HF
// dataloader_drop_last).

// global is the batch size of the plan: BatchSize × World.
func (s *Sampler) global() int { return s.BatchSize * max(s.World, 1) }

// shard returns this rank's part of each global batch.
func (s *Sampler) shard(batches [][]int) [][]int {
	if s.World <= 1 {
		return batches
	}
	out := make([][]int, len(batches))
	for i, b := range batches {
		out[i] = Shard(b, s.Rank, s.World)
	}
	return out
}

// Shard returns rank's rows of one global batch b: the rank-th of world
// equal slices, after padding a short batch cyclically to a multiple of
// world (trainers with their own batch order shard with it too).
func Shard(b []int, rank, world int) []int {
	if world <= 1 {
		return b
	}
	per := (len(b) + world - 1) / world
	if len(b) < per*world { // the short last batch: pad cyclically
		padded := make([]int, per*world)
		for j := range padded {
			padded[j] = b[j%len(b)]
		}
		b = padded
	}
	return b[rank*per : (rank+1)*per]
}
