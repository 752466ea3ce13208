package tensor

import (
	"github.com/sugarme/gotch/ts"
)

// Tensor is gotch's tensor.
type Tensor = ts.Tensor

// Scope owns the tensors made inside one function and frees them on Close,
// so forward code needs no Drop after each line:
//
//	s := tensor.NewScope()
//	defer s.Close()
//	h := s.T(x.Matmul(w, false))   // [B, T, H]
//	y := s.T(h.Gelu("none", false))
//	return s.Keep(y)               // the caller owns y now
//
// A Scope is not safe for concurrent use.
type Scope struct {
	owned   []*Tensor
	scalars []*ts.Scalar
}

// NewScope returns an empty scope.
func NewScope() *Scope { return &Scope{owned: make([]*Tensor, 0, 32)} }

// T tracks the result of a gotch call and returns it; on error it panics
// with *Error (see Recover).
func (s *Scope) T(t *Tensor, err error) *Tensor {
	Check(err)
	s.owned = append(s.owned, t)
	return t
}

// Add tracks an existing tensor (for example one returned by a callee).
func (s *Scope) Add(t *Tensor) *Tensor {
	s.owned = append(s.owned, t)
	return t
}

// Float and Int return scalars freed with the scope.
func (s *Scope) Float(v float64) *ts.Scalar {
	sc := ts.FloatScalar(v)
	s.scalars = append(s.scalars, sc)
	return sc
}

func (s *Scope) Int(v int64) *ts.Scalar {
	sc := ts.IntScalar(v)
	s.scalars = append(s.scalars, sc)
	return sc
}

// Keep stops tracking t, so Close leaves it alive, and returns it.
// Keeping a tensor the scope does not own is a no-op.
func (s *Scope) Keep(t *Tensor) *Tensor {
	for i := len(s.owned) - 1; i >= 0; i-- {
		if s.owned[i] == t {
			s.owned = append(s.owned[:i], s.owned[i+1:]...)
			break
		}
	}
	return t
}

// Len reports how many tensors the scope currently owns.
func (s *Scope) Len() int { return len(s.owned) }

// Close frees every tracked tensor and scalar. It may be called twice.
func (s *Scope) Close() {
	ts.FreeMany(s.owned) // one cgo call for all of them
	for _, sc := range s.scalars {
		_ = sc.Drop()
	}
	s.owned = s.owned[:0]
	s.scalars = s.scalars[:0]
}

// Free releases tensors now; nil and already-freed tensors are ignored.
func Free(tensors ...*Tensor) {
	for _, t := range tensors {
		if t != nil {
			_ = t.Drop() // freeing a handle cannot fail in the patched gotch
		}
	}
}

// Live returns the number of tensors created and not yet freed in this
// process (patched gotch keeps the count).
func Live() int64 { return ts.LiveTensors() }

// Opt passes an optional tensor argument to gotch: nil becomes an undefined
// tensor, which libtorch reads as "absent".
func Opt(t *Tensor) *Tensor {
	if t == nil {
		return ts.None
	}
	return t
}
