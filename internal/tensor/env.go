package tensor

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Version returns the libtorch version linked into the binary.
func Version() string { return lib.TorchVersion() }

// GotchVersion is the gotch release gotrl is built against (patched copy).
const GotchVersion = "v0.9.1"

// CUDAAvailable and CUDADevices report the CUDA runtime's view.
func CUDAAvailable() bool { return lib.AtcCudaIsAvailable() }
func CUDADevices() int    { return int(lib.AtcCudaDeviceCount()) }

// Threads and SetThreads get and set libtorch's intra-op thread count.
func Threads() int { return lib.NumThreads() }

func SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("threads must be at least 1, got %d", n)
	}
	lib.SetNumThreads(n)
	return ts.TorchErr()
}

// ParseDevice reads "auto", "cpu", "cuda" or "cuda:N". "auto" picks cuda:0
// when CUDA is available, else cpu.
func ParseDevice(s string) (gotch.Device, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "auto" || s == "":
		if CUDAAvailable() {
			return gotch.CudaBuilder(0), nil
		}
		return gotch.CPU, nil
	case s == "cpu":
		return gotch.CPU, nil
	case s == "cuda" || strings.HasPrefix(s, "cuda:"):
		idx := 0
		if s != "cuda" {
			n, err := strconv.Atoi(s[len("cuda:"):])
			if err != nil || n < 0 {
				return gotch.CPU, fmt.Errorf("device %q: want cuda:N with N ≥ 0", s)
			}
			idx = n
		}
		if !CUDAAvailable() {
			return gotch.CPU, fmt.Errorf("device %q: CUDA is not available in this build or machine (see README: install_libtorch.sh --cuda)", s)
		}
		if idx >= CUDADevices() {
			return gotch.CPU, fmt.Errorf("device %q: only %d CUDA device(s)", s, CUDADevices())
		}
		return gotch.CudaBuilder(uint(idx)), nil
	}
	return gotch.CPU, fmt.Errorf("device %q: want auto, cpu, cuda or cuda:N", s)
}

// DeviceName formats a device the way ParseDevice reads it.
func DeviceName(d gotch.Device) string {
	if d.IsCuda() {
		return fmt.Sprintf("cuda:%d", d.Value)
	}
	return "cpu"
}

// CPUBF16 names the CPU feature that runs bf16 matmuls in hardware — "AMX"
// (amx_bf16) or "AVX-512-BF16" (avx512_bf16) in /proc/cpuinfo's flags — or
// returns "" when the CPU has neither (libtorch then emulates bf16, ~15×
// slower than fp32) or the flags cannot be read.
func CPUBF16() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return bf16Feature(string(b))
}

// bf16Feature reads the first "flags" line of a /proc/cpuinfo text.
func bf16Feature(cpuinfo string) string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != "flags" {
			continue
		}
		flags := strings.Fields(v)
		switch {
		case slices.Contains(flags, "amx_bf16"):
			return "AMX"
		case slices.Contains(flags, "avx512_bf16"):
			return "AVX-512-BF16"
		}
		return ""
	}
	return ""
}
