package layers

import (
	"fmt"

	"github.com/sugarme/gotch"
	"golang.org/x/sys/cpu"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Precision is the number format the projections (Linear, Conv1D, LM
// heads) are packed in for inference: `--quantize` of gotrl generate and
// gotrl bench generate, Quantize for library callers.
type Precision string

const (
	// None runs the stored float32 weights as they are (training).
	None Precision = "none"
	// FP32 keeps float32 numbers but lays Linear weights out [in, out] for
	// decoding: MKL's matrix-vector product streams that layout about twice
	// as fast as [out, in] for a large LM head (the same math as None, summed
	// in another order).
	FP32 Precision = "fp32"
	// Int8 is dynamic quantization with fbgemm (PyTorch's
	// torch.ao.nn.quantized.dynamic.Linear with per-channel weights): int8
	// weights with one symmetric scale per output row, activations
	// quantized to uint8 per call, int32 accumulation, float32 out.
	Int8 Precision = "int8"
	// FP16 is fbgemm's fp16-weight GEMM: float16 weights, float32
	// activations and accumulation (torch.ao dynamic quantization with
	// float16_dynamic_qconfig).
	FP16 Precision = "fp16"
	// BF16 keeps bfloat16 weights: a decoding step's few rows keep float32
	// activations and sums, reading half of float32's bytes; more rows run
	// a bfloat16 matmul (oneDNN; fast where the CPU has AMX).
	BF16 Precision = "bf16"
	// Auto is BF16 on CPUs with AMX-BF16, Int8 on other CPUs, None on CUDA.
	Auto Precision = "auto"
)

// Validate accepts the values above and "" (None); a config field of this
// type is checked when its flag is parsed.
func (p Precision) Validate() error {
	switch p {
	case "", None, FP32, Int8, FP16, BF16, Auto:
		return nil
	}
	return fmt.Errorf("precision %q: want none, fp32, int8, fp16, bf16 or auto", string(p))
}

// Resolve maps "" to None and Auto to the choice for weights on dev. On
// CUDA, Auto and FP32 are None: the packed layouts feed gotrl's CPU
// decoding kernels, and CUDA tensors take ATen's matmul whatever their
// layout, so a second copy would only take device memory.
func (p Precision) Resolve(dev gotch.Device) Precision {
	switch {
	case p == "":
		return None
	case dev.IsCuda() && (p == Auto || p == FP32):
		return None
	case p == Auto:
		return autoPrecision()
	}
	return p
}

// runsOn refuses a resolved precision whose kernels cannot take weights
// on dev: fbgemm's int8 and fp16 kernels are CPU-only.
func (p Precision) runsOn(dev gotch.Device) error {
	if dev.IsCuda() && (p == Int8 || p == FP16) {
		return fmt.Errorf("precision %s runs fbgemm's CPU kernels, and the weights are on %s: want bf16 or none there", p, tensor.DeviceName(dev))
	}
	return nil
}

// autoPrecision is the reduced precision worth using on this CPU: AMX
// multiplies bfloat16 tiles natively; elsewhere bf16 matmuls are emulated
// (about 14× slower than fp32 on AMD EPYC without AVX-512) and fbgemm's int8
// kernels are the fastest path.
func autoPrecision() Precision {
	if cpu.X86.HasAMXBF16 {
		return BF16
	}
	return Int8
}

// int8Max is the largest |q| of a quantized weight. fbgemm's AVX2 and plain
// AVX-512 kernels multiply uint8 activations by int8 weights with
// vpmaddubsw, which adds adjacent products into a saturating int16: two
// products of 255·127 overflow it (a [1, 768] input of ones against weights
// of 127 gives 49343 instead of 97536). With |q| ≤ 64 the pair sum stays
// below 2¹⁵. AVX-512 VNNI (vpdpbusd) accumulates in int32 and takes the
// full int8 range.
func int8Max() int64 {
	if cpu.X86.HasAVX512VNNI {
		return 127
	}
	return 64
}
