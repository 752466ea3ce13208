package tensor

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// TestCacheReusesBigBlocks: a freed 4 MiB tensor's block serves the next
// one of the same size without a new mapping; small tensors do not touch
// the big blocks' cache.
func TestCacheReusesBigBlocks(t *testing.T) {
	if a, _ := AllocatorInfo(); a != AllocCache {
		t.Skipf("%s=%s", AllocEnv, os.Getenv(AllocEnv))
	}
	alloc := func(n int64) {
		x := must(t)(ts.Zeros([]int64{n}, gotch.Float, gotch.CPU))
		Free(x)
	}
	alloc(1 << 20) // 4 MiB: mapped (or reused) once
	before := CacheStats()
	for range 5 {
		alloc(1 << 20)
		alloc(16) // 64 bytes: a small block
	}
	after := CacheStats()
	if after.Hits-before.Hits != 5 || after.Misses != before.Misses {
		t.Fatalf("5 reallocations: hits +%d, misses +%d; want +5, +0", after.Hits-before.Hits, after.Misses-before.Misses)
	}
	if after.Mapped != before.Mapped || after.Cached < 4<<20 {
		t.Fatalf("mapped %d → %d, cached %d: the block was not kept", before.Mapped, after.Mapped, after.Cached)
	}
	TrimCache()
	if s := CacheStats(); s.Cached != 0 || s.Mapped != s.Live {
		t.Fatalf("after TrimCache: cached %d, mapped %d, live %d", s.Cached, s.Mapped, s.Live)
	}
}

// TestCacheBoundsMapped: freeing never unmaps, even when idle bytes pass
// the live peak (sizes peak at different moments of a step); a miss that
// would map more than twice the live peak first unmaps idle blocks, the
// longest idle first. Blocks are left untouched (empty tensors), so the
// test costs address space, not memory.
func TestCacheBoundsMapped(t *testing.T) {
	if a, _ := AllocatorInfo(); a != AllocCache {
		t.Skipf("%s=%s", AllocEnv, os.Getenv(AllocEnv))
	}
	TrimCache()
	defer TrimCache()
	// big ≥ twice any earlier live peak, so that the blocks below set it
	big := max(int64(64)<<20, 2*CacheStats().PeakLive)
	alloc := func(n int64) { Free(must(t)(ts.Empty([]int64{n * big / 4}, gotch.Float, gotch.CPU))) }
	before := CacheStats()
	for n := range int64(3) {
		alloc(n + 1)
	}
	s := CacheStats()
	if s.Unmaps != before.Unmaps || s.Cached != 6*big {
		t.Fatalf("1, 2, 3 blocks' worth freed: unmaps +%d, cached %d; want +0, %d", s.Unmaps-before.Unmaps, s.Cached, 6*big)
	}
	alloc(4) // mapped would pass 2 × peak: the 1- and 2-block ones go
	s = CacheStats()
	if s.Mapped > 2*s.PeakLive || s.Unmaps-before.Unmaps != 2 {
		t.Fatalf("after a 4-block miss: mapped %d, peak live %d, unmaps +%d; want mapped ≤ 2 × peak, +2", s.Mapped, s.PeakLive, s.Unmaps-before.Unmaps)
	}
	alloc(3)
	alloc(1)
	if a := CacheStats(); a.Hits-s.Hits != 1 || a.Misses-s.Misses != 1 {
		t.Fatalf("3 blocks then 1: hits +%d, misses +%d; want the 3-block one kept and the 1-block one unmapped", a.Hits-s.Hits, a.Misses-s.Misses)
	}
}

// TestCacheSmallBlocks: blocks below 64 KiB are reused on the thread that
// freed them (last freed, first served); every block is 64-byte aligned and
// holds its values, up to the mid sizes that go back to glibc.
func TestCacheSmallBlocks(t *testing.T) {
	if a, _ := AllocatorInfo(); a != AllocCache {
		t.Skipf("%s=%s", AllocEnv, os.Getenv(AllocEnv))
	}
	defer Pin()()
	tests := []struct {
		floats int64
		reused bool
	}{
		{1, true}, {16, true}, {17, true}, {256, true}, {257, true}, {1000, true},
		{4096, true}, {16384, true}, // 64 KiB: the largest small class
		{16385, false}, {200000, false}, // mid sizes: glibc's, no header reuse promised
	}
	for _, tt := range tests {
		want := make([]float32, tt.floats)
		for i := range want {
			want[i] = float32(i%1000) + 0.5
		}
		x := must(t)(FromFloat32s(want, []int64{tt.floats}, gotch.CPU))
		p := dataPtr(t, x)
		if p%64 != 0 {
			t.Errorf("%d floats: data at %#x, not 64-byte aligned", tt.floats, p)
		}
		if got := float32s(t, x); got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Errorf("%d floats: values %v…%v, want %v…%v", tt.floats, got[0], got[len(got)-1], want[0], want[len(want)-1])
		}
		Free(x)
		before := CacheStats()
		y := must(t)(ts.Zeros([]int64{tt.floats}, gotch.Float, gotch.CPU))
		after := CacheStats()
		if hits := after.SmallHits - before.SmallHits; tt.reused && (hits != 1 || dataPtr(t, y) != p) {
			t.Errorf("%d floats: small hits +%d, block %#x; want +1, the freed block %#x", tt.floats, hits, dataPtr(t, y), p)
		}
		if !tt.reused && after.SmallHits+after.SmallMisses != before.SmallHits+before.SmallMisses {
			t.Errorf("%d floats: a mid-size block went through the small cache", tt.floats)
		}
		for i, v := range float32s(t, y) {
			if v != 0 {
				t.Fatalf("%d floats: zeros[%d] = %v in a reused block", tt.floats, i, v)
			}
		}
		Free(y)
	}

	// More live blocks than a thread keeps, freed on another thread, which
	// then exits: its cache is returned to glibc without touching the dead
	// thread's state, and every tensor held its own values.
	var xs []*Tensor
	for i := range 300 {
		xs = append(xs, must(t)(ts.Ones([]int64{64}, gotch.Float, gotch.CPU)))
		if err := xs[i].Fill_(ts.FloatScalar(float64(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, x := range xs {
		if v := float32s(t, x)[63]; v != float32(i) {
			t.Fatalf("tensor %d holds %v", i, v)
		}
	}
	done := make(chan [2]AllocStats)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		before := CacheStats() // a thread Go reuses may hold blocks already
		Free(xs...)
		done <- [2]AllocStats{before, CacheStats()}
	}()
	s := <-done
	if kept := s[1].SmallCached - s[0].SmallCached; kept > 128*256 || s[1].SmallCached < 128*256 {
		t.Errorf("a thread that freed 300 blocks of 256 bytes keeps %d more bytes (%d in all); want 128 blocks of that class", kept, s[1].SmallCached)
	}
}

func float32s(t *testing.T, x *Tensor) []float32 {
	t.Helper()
	v, err := Float32s(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// leafOf is vals as a tensor of kind and shape that requires grad, owned
// by s.
func leafOf(s *Scope, vals []float64, kind gotch.DType, shape []int64) *Tensor {
	x := s.T(s.T(s.T(ts.OfSlice(vals)).Totype(kind, false)).Reshape(shape, false))
	return s.T(x.SetRequiresGrad(true, false))
}

// gradOf runs backward from the scalar l and returns x's gradient.
func gradOf(t *testing.T, s *Scope, x, l *Tensor) []float64 {
	t.Helper()
	if err := l.Backward(); err != nil {
		t.Fatal(err)
	}
	g, err := Float64s(s.T(x.Grad(false)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func dataPtr(t *testing.T, x *Tensor) uintptr {
	t.Helper()
	p, err := x.DataPtr()
	if err != nil {
		t.Fatal(err)
	}
	return uintptr(p)
}

func TestSetAllocatorRejectsBadValues(t *testing.T) {
	tests := []struct {
		a     Allocator
		capMB string
		want  Allocator
		bad   bool
	}{
		{"", "", AllocCache, false},
		{"cache", "64", AllocCache, false},
		{"cache", "-1", AllocCache, true},
		{"jemalloc", "", AllocCache, true},
		{"off", "", AllocOff, false},
	}
	for _, tt := range tests {
		got, err := setAllocator(tt.a, tt.capMB)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("setAllocator(%q, %q) = %s, %v; want %s, error %v", tt.a, tt.capMB, got, err, tt.want, tt.bad)
		}
	}
}

func TestBF16Feature(t *testing.T) {
	const avx2 = "processor\t: 0\nflags\t\t: fpu avx2 fma\n"
	const zen5 = "flags\t\t: avx512f avx512_bf16\n"
	const spr = "flags\t\t: avx512f avx512_bf16 amx_bf16 amx_tile\n"
	tests := []struct {
		cpuinfo, maxISA, want string
		offHas                string
	}{
		{avx2, "", "", "lacks"},
		{zen5, "", "AVX-512-BF16", ""},
		{spr, "", "AMX", ""},
		{spr, "avx512_core_bf16", "AVX-512-BF16", ""},
		{spr, "AVX512_CORE_AMX", "AMX", ""},
		{spr, "ALL", "AMX", ""},
		{zen5, "AVX2", "", "ONEDNN_MAX_CPU_ISA=AVX2"},
		{spr, "AVX512_CORE_VNNI", "", "below AVX512_CORE_BF16"},
		{zen5, "no-such-isa", "AVX-512-BF16", ""},
		{avx2, "ALL", "", "lacks"},
		{"vendor_id\t: x\n", "", "", "no flags"},
	}
	for _, tt := range tests {
		got, off := bf16Feature(tt.cpuinfo, tt.maxISA)
		if got != tt.want || (got == "") != (off != "") || !strings.Contains(off, tt.offHas) {
			t.Errorf("bf16Feature(%q, %q) = %q, %q; want %q, off naming %q", tt.cpuinfo, tt.maxISA, got, off, tt.want, tt.offHas)
		}
	}
}
