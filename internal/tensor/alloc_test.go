package tensor

import (
	"os"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// TestCacheReusesBigBlocks: a freed 4 MiB tensor's block serves the next
// one of the same size without a new mapping; small tensors bypass the cache.
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
		alloc(16) // 64 bytes: glibc's
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
	tests := []struct{ cpuinfo, want string }{
		{"processor\t: 0\nflags\t\t: fpu avx2 fma\n", ""},
		{"flags\t\t: avx512f avx512_bf16 amx_tile\n", "AVX-512-BF16"},
		{"flags\t\t: avx512f avx512_bf16 amx_bf16 amx_tile\n", "AMX"},
		{"vendor_id\t: x\n", ""},
	}
	for _, tt := range tests {
		if got := bf16Feature(tt.cpuinfo); got != tt.want {
			t.Errorf("bf16Feature(%q) = %q, want %q", tt.cpuinfo, got, tt.want)
		}
	}
}
