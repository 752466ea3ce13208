package tensor

import (
	"fmt"
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
