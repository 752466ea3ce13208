package data

import (
	"fmt"
	"slices"
)

// Sampler plans which examples form each batch. An epoch's plan depends only
// on (Seed, epoch, Lens), so a Cursor saved with a checkpoint resumes the
// exact batch sequence. It works on lengths alone; the trainer collates the
// indexed examples (chosen and rejected together, for a reward model).
type Sampler struct {
	Lens      []int // token length of each example, for bucketing
	BatchSize int
	Shuffle   bool // shuffle examples, and batches, anew each epoch
	// BucketWindow > 1 sorts each run of BucketWindow*BatchSize examples by
	// length before cutting batches, so rows in a batch have similar lengths
	// and padding shrinks (HF's LengthGroupedSampler groups the same way).
	BucketWindow int
	DropLast     bool // drop the last short batch
	Seed         uint64
	// Rank and World shard the plan for data parallelism: BatchSize is per
	// rank (HF per_device_train_batch_size), the plan is cut into global
	// batches of BatchSize×World exactly as one process with that batch
	// size would, and rank r takes the r-th BatchSize rows of each (see
	// sampler_dist.go). World ≤ 1 is a single process.
	Rank, World int

	planEpoch int
	plan      [][]int
}

// Cursor is a position in the batch stream: Index batches of Epoch are done.
// It is all a trainer saves to resume the data exactly.
type Cursor struct {
	Epoch int `json:"epoch" yaml:"epoch"`
	Index int `json:"index" yaml:"index"`
}

// Batches returns the number of batches per epoch (the same on every rank).
func (s *Sampler) Batches() int {
	g := max(s.global(), 1)
	n := len(s.Lens) / g
	if !s.DropLast && len(s.Lens)%g != 0 {
		n++
	}
	return n
}

func (s *Sampler) check() error {
	switch {
	case s.BatchSize <= 0:
		return fmt.Errorf("sampler: batch size %d, want > 0", s.BatchSize)
	case s.World > 1 && (s.Rank < 0 || s.Rank >= s.World):
		return fmt.Errorf("sampler: rank %d of a world of %d", s.Rank, s.World)
	case s.Batches() == 0:
		return fmt.Errorf("sampler: %d examples give no batch of %d (drop last is %v)", len(s.Lens), s.global(), s.DropLast)
	}
	return nil
}

// Epoch returns the batches of one epoch as example indices. Next hands out
// slices of a cached plan: callers must not modify them.
func (s *Sampler) Epoch(epoch int) ([][]int, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if epoch < 0 {
		return nil, fmt.Errorf("sampler: epoch %d < 0", epoch)
	}
	order := make([]int, len(s.Lens))
	for i := range order {
		order[i] = i
	}
	rng := newRand(s.Seed, streamShuffle<<32|uint64(epoch))
	if s.Shuffle {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	bs := s.global()
	if s.BucketWindow > 1 {
		w := s.BucketWindow * bs
		for start := 0; start < len(order); start += w {
			win := order[start:min(start+w, len(order))]
			slices.SortStableFunc(win, func(i, j int) int { return s.Lens[j] - s.Lens[i] }) // longest first
		}
	}
	batches := make([][]int, 0, s.Batches())
	for start := 0; start < len(order); start += bs {
		b := order[start:min(start+bs, len(order))]
		if len(b) < bs && s.DropLast {
			break
		}
		batches = append(batches, b)
	}
	if s.Shuffle {
		rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	}
	return s.shard(batches), nil
}

// Next returns the batch at c and the cursor after it, moving to the next
// epoch after the last batch. A cursor past the end of its epoch (saved with
// a different batch size) is an error rather than a silent restart.
func (s *Sampler) Next(c Cursor) ([]int, Cursor, error) {
	if err := s.check(); err != nil {
		return nil, c, err
	}
	if c.Index < 0 || c.Index >= s.Batches() {
		return nil, c, fmt.Errorf("sampler: cursor %+v outside the epoch's %d batches", c, s.Batches())
	}
	if s.plan == nil || s.planEpoch != c.Epoch {
		plan, err := s.Epoch(c.Epoch)
		if err != nil {
			return nil, c, err
		}
		s.plan, s.planEpoch = plan, c.Epoch
	}
	b := s.plan[c.Index]
	c.Index++
	if c.Index == len(s.plan) {
		c = Cursor{Epoch: c.Epoch + 1}
	}
	return b, c, nil
}
