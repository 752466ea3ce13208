package tensor

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// BenchmarkLinearFewRows times one decoding step's projections of a 12×768
// GPT-2 (rows = batch): the gotch patch's kernels against ATen's (MKL) on
// the same tensors, reporting the weight bytes read per second.
func BenchmarkLinearFewRows(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	shapes := []struct {
		name    string
		in, out int64
		layout  WeightLayout
	}{
		{"c_attn", 768, 2304, InOut},
		{"c_fc", 768, 3072, InOut},
		{"mlp.c_proj", 3072, 768, InOut},
		{"lm_head", 768, 21128, OutIn},
	}
	for _, sh := range shapes {
		wShape := []int64{sh.out, sh.in}
		if sh.layout == InOut {
			wShape = []int64{sh.in, sh.out}
		}
		// enough copies of the weight that they stream from memory, as a
		// model's layers do, rather than from the last-level cache
		ws := make([]*Tensor, 1+(256<<20)/(sh.in*sh.out*4))
		for i := range ws {
			w, err := ts.Randn(wShape, gotch.Float, gotch.CPU)
			if err != nil {
				b.Fatal(err)
			}
			ws[i] = w
		}
		for _, rows := range []int64{1, 8} {
			x, err := ts.Randn([]int64{rows, 1, sh.in}, gotch.Float, gotch.CPU)
			if err != nil {
				b.Fatal(err)
			}
			for _, impl := range []string{"gotrl", "aten"} {
				b.Run(fmt.Sprintf("%s/rows=%d/%s", sh.name, rows, impl), func(b *testing.B) {
					b.SetBytes(sh.in * sh.out * 4)
					for i := 0; i < b.N; i++ {
						w := ws[i%len(ws)]
						var y *Tensor
						var err error
						if impl == "gotrl" {
							y, err = Linear(x, w, nil, sh.layout)
						} else if sh.layout == InOut {
							y, err = x.Matmul(w, false)
						} else {
							y, err = ts.Linear(x, w, ts.None)
						}
						if err != nil {
							b.Fatal(err)
						}
						Free(y)
					}
				})
			}
			Free(x)
		}
		Free(ws...)
	}
}
