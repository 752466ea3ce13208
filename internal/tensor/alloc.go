package tensor

import (
	"fmt"
	"os"
	"strconv"

	"github.com/sugarme/gotch/ext"
)

// Allocator names how libtorch's CPU tensors get their memory; the
// GOTRL_ALLOCATOR environment variable chooses it at start.
//
// With glibc's defaults every tensor above its mmap threshold (128 KiB, at
// most 32 MiB after adapting) is a fresh mmap whose pages fault in on first
// touch and are unmapped on free: a small GPT-2 training step spent a third
// of its CPU time in the kernel. PyTorch has the same defaults (its docs
// suggest jemalloc or tcmalloc on CPU); gotrl owns this at start instead.
type Allocator string

const (
	// AllocCache (the default) puts a caching allocator in front of
	// libtorch's CPU allocator: blocks ≥ 1 MiB are mapped once, 2 MiB
	// aligned with transparent huge pages where the kernel allows them,
	// and reused; mapped bytes never exceed twice the peak of live bytes
	// (a miss that would pass that unmaps the longest-idle blocks first;
	// with GOTRL_ALLOC_CACHE_MB, idle bytes stay within it instead).
	// Blocks ≤ 64 KiB are reused from lock-free free lists of the thread
	// that freed them (at most 4 MiB per thread): glibc serves libtorch's
	// 64-byte-aligned requests through posix_memalign, which skips its own
	// per-thread cache, and that was a fifth of a small op's cost.
	AllocCache Allocator = "cache"
	// AllocMalloc keeps libtorch's allocator and sets glibc's thresholds
	// instead (mallopt: mmap threshold 1 GiB, trim threshold 2 GiB), the
	// same as GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1073741824:
	// glibc.malloc.trim_threshold=2147483647 for PyTorch.
	AllocMalloc Allocator = "malloc"
	// AllocOff leaves libtorch and glibc as they are.
	AllocOff Allocator = "off"
)

// AllocEnv is the environment variable that chooses the allocator.
const AllocEnv = "GOTRL_ALLOCATOR"

// cacheMinBytes is the smallest block the cache maps itself; smaller ones
// come from glibc's heap (the smallest through per-thread free lists).
const cacheMinBytes = 1 << 20

var allocator, allocErr = setAllocator(Allocator(os.Getenv(AllocEnv)), os.Getenv("GOTRL_ALLOC_CACHE_MB"))

// setAllocator applies the choice once, before libtorch allocates tensors
// (package initialisation). A bad value falls back to AllocCache; the error
// is reported by AllocatorInfo.
func setAllocator(a Allocator, capMB string) (Allocator, error) {
	var err error
	switch a {
	case "", AllocCache:
		var capBytes int64
		if capMB != "" {
			mb, perr := strconv.ParseInt(capMB, 10, 64)
			if perr != nil || mb < 0 {
				err = fmt.Errorf("GOTRL_ALLOC_CACHE_MB=%q: want a number of MiB ≥ 0", capMB)
			} else {
				capBytes = mb << 20
			}
		}
		ext.AllocEnable(cacheMinBytes, capBytes)
		return AllocCache, err
	case AllocMalloc:
		if !ext.Mallopt(1<<30, 1<<31-1) {
			return AllocOff, fmt.Errorf("%s=%s: glibc refused the thresholds", AllocEnv, a)
		}
		return AllocMalloc, nil
	case AllocOff:
		return AllocOff, nil
	}
	ext.AllocEnable(cacheMinBytes, 0)
	return AllocCache, fmt.Errorf("%s=%q: want cache, malloc or off (using cache)", AllocEnv, string(a))
}

// AllocatorInfo returns the allocator in use and any problem with the
// environment that chose it.
func AllocatorInfo() (Allocator, error) { return allocator, allocErr }

// AllocStats are the caching allocator's counters (zero unless AllocCache).
type AllocStats = ext.AllocStats

// CacheStats returns the caching allocator's counters.
func CacheStats() AllocStats { return ext.Alloc() }

// TrimCache returns the caching allocator's idle blocks to the system
// (for a long-lived process between phases of different shapes).
func TrimCache() { ext.AllocTrim() }
