package weights

import (
	"fmt"
	"runtime"
	"testing"
)

// gpt2Shapes returns the tensor shapes of a GPT-2 with the book's Chinese
// config (12 layers, 768 wide, vocab 21128: 102M parameters, 409 MB).
func gpt2Shapes() map[string][]int64 {
	const d, vocab = 768, 21128
	s := map[string][]int64{
		"transformer.wte.weight": {vocab, d}, "transformer.wpe.weight": {1024, d},
		"transformer.ln_f.weight": {d}, "transformer.ln_f.bias": {d},
	}
	for i := 0; i < 12; i++ {
		p := fmt.Sprintf("transformer.h.%d.", i)
		for name, shape := range map[string][]int64{
			"ln_1.weight": {d}, "ln_1.bias": {d}, "ln_2.weight": {d}, "ln_2.bias": {d},
			"attn.c_attn.weight": {d, 3 * d}, "attn.c_attn.bias": {3 * d},
			"attn.c_proj.weight": {d, d}, "attn.c_proj.bias": {d},
			"mlp.c_fc.weight": {d, 4 * d}, "mlp.c_fc.bias": {4 * d},
			"mlp.c_proj.weight": {4 * d, d}, "mlp.c_proj.bias": {d},
		} {
			s[p+name] = shape
		}
	}
	return s
}

// BenchmarkLoadGPT2 saves and strictly loads a full-size GPT-2 checkpoint.
// Reading tensor by tensor keeps the Go heap near the largest tensor (wte,
// 65 MB), not the file size.
func BenchmarkLoadGPT2(b *testing.B) {
	src := newStore(b, gpt2Shapes())
	dir := b.TempDir()
	if err := Save(dir, src, nil, SaveOptions{}); err != nil {
		b.Fatal(err)
	}
	dst := newStore(b, gpt2Shapes())
	b.SetBytes(409 << 20)
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		if _, err := Load(dir, dst, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapSys)
	}
	b.ReportMetric(float64(peak>>20), "heapMB")
}

// BenchmarkSaveGPT2 writes the same checkpoint (float32, atomically).
func BenchmarkSaveGPT2(b *testing.B) {
	src := newStore(b, gpt2Shapes())
	dir := b.TempDir()
	b.SetBytes(409 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Save(dir, src, nil, SaveOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
