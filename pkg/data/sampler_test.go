package data

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestSamplerOrder(t *testing.T) {
	lens := []int{5, 1, 4, 2, 3, 6, 0}
	tests := []struct {
		name string
		s    Sampler
		want [][]int
	}{
		{"in order", Sampler{Lens: lens, BatchSize: 3}, [][]int{{0, 1, 2}, {3, 4, 5}, {6}}},
		{"drop last", Sampler{Lens: lens, BatchSize: 3, DropLast: true}, [][]int{{0, 1, 2}, {3, 4, 5}}},
		// windows of 2 batches: indices 0..5 sorted longest first, then 6 alone
		{"bucketed", Sampler{Lens: lens, BatchSize: 3, BucketWindow: 2}, [][]int{{5, 0, 2}, {4, 3, 1}, {6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Epoch(0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if len(got) != tt.s.Batches() {
				t.Errorf("%d batches, Batches() = %d", len(got), tt.s.Batches())
			}
		})
	}
}

func TestSamplerShuffle(t *testing.T) {
	lens := make([]int, 50)
	for i := range lens {
		lens[i] = (i * 37) % 50 // a permutation of 0..49
	}
	plan := func(seed uint64, epoch, window int) [][]int {
		s := Sampler{Lens: lens, BatchSize: 5, Shuffle: true, Seed: seed, BucketWindow: window}
		p, err := s.Epoch(epoch)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := plan(1, 0, 0)
	var all []int
	for _, b := range a {
		all = append(all, b...)
	}
	slices.Sort(all)
	for i, x := range all {
		if x != i {
			t.Fatalf("epoch is not a permutation: %v", all)
		}
	}
	if !reflect.DeepEqual(a, plan(1, 0, 0)) {
		t.Error("same seed and epoch, different plan")
	}
	if reflect.DeepEqual(a, plan(1, 1, 0)) || reflect.DeepEqual(a, plan(2, 0, 0)) {
		t.Error("another epoch or seed gave the same plan")
	}
	// One window over everything: each batch holds 5 consecutive lengths.
	for _, b := range plan(3, 0, 10) {
		ls := make([]int, len(b))
		for i, x := range b {
			ls[i] = lens[x]
		}
		lo, hi := slices.Min(ls), slices.Max(ls)
		if hi-lo != 4 || lo%5 != 0 {
			t.Errorf("bucketed batch has lengths %v, want 5 consecutive", ls)
		}
	}
	// Batch order is shuffled too: the longest batch is not always first.
	firsts := map[int]bool{}
	for seed := range uint64(8) {
		firsts[lens[plan(seed, 0, 10)[0][0]]/5] = true
	}
	if len(firsts) < 2 {
		t.Error("bucketed batches are never reordered")
	}
}

func TestSamplerResume(t *testing.T) {
	lens := make([]int, 11)
	newSampler := func() *Sampler {
		return &Sampler{Lens: lens, BatchSize: 4, Shuffle: true, BucketWindow: 2, Seed: 9}
	}
	// Run 8 steps straight (3 batches an epoch, so it crosses two epochs).
	s := newSampler()
	var c Cursor
	var straight [][]int
	var saved []byte
	for step := range 8 {
		if step == 4 {
			saved, _ = json.Marshal(c)
		}
		b, next, err := s.Next(c)
		if err != nil {
			t.Fatal(err)
		}
		straight = append(straight, b)
		c = next
	}
	if c != (Cursor{Epoch: 2, Index: 2}) {
		t.Errorf("cursor after 8 steps = %+v, want epoch 2 index 2", c)
	}
	// Restore the cursor saved after 4 steps into a fresh sampler.
	var r Cursor
	if err := json.Unmarshal(saved, &r); err != nil || r != (Cursor{Epoch: 1, Index: 1}) {
		t.Fatalf("saved cursor %s → %+v, %v", saved, r, err)
	}
	s2 := newSampler()
	for step := 4; step < 8; step++ {
		b, next, err := s2.Next(r)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(b, straight[step]) {
			t.Errorf("resumed step %d = %v, want %v", step, b, straight[step])
		}
		r = next
	}
	if _, _, err := s2.Next(Cursor{Index: 3}); err == nil {
		t.Error("cursor past the epoch accepted")
	}
	if _, err := (&Sampler{Lens: lens}).Epoch(0); err == nil {
		t.Error("batch size 0 accepted")
	}
	if _, err := (&Sampler{Lens: lens[:3], BatchSize: 4, DropLast: true}).Epoch(0); err == nil {
		t.Error("an epoch with no batch accepted")
	}
}
