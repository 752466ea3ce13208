package tensor

import (
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// BenchmarkAddFree is the per-op cost `gotrl bench ops` reports: an 8x8
// float32 add through the patched gotch, then free.
func BenchmarkAddFree(b *testing.B) {
	a, err := ts.Ones([]int64{8, 8}, gotch.Float, gotch.CPU)
	if err != nil {
		b.Fatal(err)
	}
	defer Free(a)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := a.Add(a, false)
		if err != nil {
			b.Fatal(err)
		}
		Free(c)
	}
}

// BenchmarkScopeAdd is the same op tracked by a Scope, as forward code does.
func BenchmarkScopeAdd(b *testing.B) {
	a, err := ts.Ones([]int64{8, 8}, gotch.Float, gotch.CPU)
	if err != nil {
		b.Fatal(err)
	}
	defer Free(a)
	s := NewScope()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.T(a.Add(a, false))
		if s.Len() == 64 {
			s.Close()
		}
	}
	s.Close()
}
