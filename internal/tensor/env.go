package tensor

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ext"
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
// returns "" and why not: the CPU has neither (libtorch then emulates bf16,
// ~15× slower than fp32), the flags cannot be read, or ONEDNN_MAX_CPU_ISA
// keeps oneDNN, which runs libtorch's bf16 matmuls, below them.
func CPUBF16() (feature, off string) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "", "CPU flags unreadable: " + err.Error()
	}
	return bf16Feature(string(b), maxCPUISA())
}

// CPUName is the first processor's model name from /proc/cpuinfo with its
// family and model numbers ("AMD EPYC (family 26, model 2)"), which tell a
// CPU's generation where a virtual machine's model name does not; "" when
// the file cannot be read.
func CPUName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return cpuName(string(b))
}

// cpuName reads the first processor's block of a /proc/cpuinfo text.
func cpuName(cpuinfo string) string {
	fields := map[string]string{}
	for _, line := range strings.Split(cpuinfo, "\n") {
		if strings.TrimSpace(line) == "" && len(fields) > 0 {
			break // a blank line ends the first processor's block
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	name := fields["model name"]
	if f, m := fields["cpu family"], fields["model"]; name != "" && f != "" && m != "" {
		name += fmt.Sprintf(" (family %s, model %s)", f, m)
	}
	return name
}

// KernelLanes is the vector width, in float32 lanes, of gotrl's own CPU
// kernels (the gotch patch's): 16 with AVX-512, 8 with AVX2 and FMA, 1
// without either or when ATEN_CPU_CAPABILITY caps them below.
func KernelLanes() int { return ext.Lanes(0) }

// maxCPUISA is oneDNN's ISA cap as its variable (or the older name) sets it.
func maxCPUISA() string {
	if v := os.Getenv("ONEDNN_MAX_CPU_ISA"); v != "" {
		return v
	}
	return os.Getenv("DNNL_MAX_CPU_ISA")
}

// oneDNNISAs are oneDNN 3.1's (libtorch 2.1's) ONEDNN_MAX_CPU_ISA values,
// from the lowest cap to none.
var oneDNNISAs = []string{"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE",
	"AVX512_CORE_VNNI", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "ALL"}

// bf16Feature reads the first "flags" line of a /proc/cpuinfo text, capped
// by a ONEDNN_MAX_CPU_ISA value ("" or an unknown value leaves it, as in
// oneDNN).
func bf16Feature(cpuinfo, maxISA string) (feature, off string) {
	isa := slices.Index(oneDNNISAs, strings.ToUpper(maxISA))
	if isa < 0 {
		isa = len(oneDNNISAs) - 1
	}
	amx := isa >= slices.Index(oneDNNISAs, "AVX512_CORE_AMX")
	avx512 := isa >= slices.Index(oneDNNISAs, "AVX512_CORE_BF16")
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != "flags" {
			continue
		}
		flags := strings.Fields(v)
		switch {
		case amx && slices.Contains(flags, "amx_bf16"):
			return "AMX", ""
		case avx512 && slices.Contains(flags, "avx512_bf16"):
			return "AVX-512-BF16", ""
		case slices.Contains(flags, "avx512_bf16"):
			return "", "ONEDNN_MAX_CPU_ISA=" + maxISA + " is below AVX512_CORE_BF16"
		}
		return "", "CPU lacks AMX/AVX-512-BF16"
	}
	return "", "no flags line in /proc/cpuinfo"
}
