package dist

import (
	"fmt"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Op is a reduction.
type Op int

const (
	Sum Op = iota
	Max
)

// BucketBytes caps one collective's payload: tensors are flattened into
// buckets of up to 25 MiB, each reduced by one call (torch DDP's
// bucket_cap_mb=25), and the buckets' calls overlap on gloo's threads.
var BucketBytes int64 = 25 << 20

// AllReduce reduces tensors across ranks in place (Sum: every rank ends
// with the elementwise sum). Gradients are reduced this way and then scaled
// by the caller.
func (g *Group) AllReduce(tensors []*tensor.Tensor, op Op) error {
	if g == nil || len(tensors) == 0 {
		return nil
	}
	return g.bucketed("all-reduce", tensors, func(c lib.Ctensor) (lib.DistWork, error) { return lib.DistAllReduce(g.pg, c, int(op)) })
}

// Broadcast copies root's tensors into every rank's, in place (the
// parameters from rank 0 when training starts, as DDP's constructor does).
func (g *Group) Broadcast(tensors []*tensor.Tensor, root int) error {
	if g == nil || len(tensors) == 0 {
		return nil
	}
	return g.bucketed("broadcast", tensors, func(c lib.Ctensor) (lib.DistWork, error) { return lib.DistBroadcast(g.pg, c, root) })
}

// Barrier returns when every rank has called it.
func (g *Group) Barrier() error {
	if g == nil {
		return nil
	}
	if g.failed != nil {
		return g.failedErr("barrier")
	}
	w, err := lib.DistBarrier(g.pg)
	if err == nil {
		err = lib.DistWait(w)
	}
	if err != nil {
		return g.fail("barrier", err)
	}
	return nil
}

// ReduceFloat64s reduces a few numbers across ranks in place (metrics,
// token counts, a stop flag), in float64.
func (g *Group) ReduceFloat64s(v []float64, op Op) error {
	if g == nil || len(v) == 0 {
		return nil
	}
	t, err := ts.OfSlice(v)
	if err != nil {
		return fmt.Errorf("all-reduce: %w", err)
	}
	defer tensor.Free(t)
	if err := g.AllReduce([]*tensor.Tensor{t}, op); err != nil {
		return err
	}
	out, err := tensor.Float64s(t)
	if err != nil {
		return fmt.Errorf("all-reduce: %w", err)
	}
	copy(v, out)
	return nil
}

// bucket is a run of tensors of one dtype and device reduced by one call.
type bucket struct {
	members []*tensor.Tensor
	flat    *tensor.Tensor // members flattened and joined; members[0] itself when alone and contiguous
	work    lib.DistWork
}

// bucketed runs start on each bucket's flat tensor, waits for all of them
// and copies the results back into the members.
func (g *Group) bucketed(op string, tensors []*tensor.Tensor, start func(lib.Ctensor) (lib.DistWork, error)) error {
	if g.failed != nil {
		return g.failedErr(op)
	}
	var failure error
	err := tensor.NoGrad(func() {
		s := tensor.NewScope()
		defer s.Close()
		buckets := plan(tensors)
		started := 0
		for i := range buckets {
			b := &buckets[i]
			b.flat = flatten(s, b.members)
			w, err := start(lib.Ctensor(b.flat.Ctensor()))
			if err != nil {
				failure = err
				break
			}
			b.work = w
			started++
		}
		for _, b := range buckets[:started] { // wait for every started call, even after a failure
			if err := lib.DistWait(b.work); err != nil && failure == nil {
				failure = err
			}
		}
		if failure != nil {
			return
		}
		for _, b := range buckets {
			unflatten(s, b)
		}
	})
	if failure != nil {
		return g.fail(op, failure)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// plan cuts tensors into buckets of one dtype and device, each at most
// BucketBytes (a larger tensor makes a bucket of its own).
func plan(tensors []*tensor.Tensor) []bucket {
	var out []bucket
	var size int64
	var kind gotch.DType
	var dev gotch.Device
	for _, t := range tensors {
		d, err := t.Device()
		tensor.Check(err)
		n := int64(t.Numel()) * int64(t.DType().Size())
		if len(out) == 0 || t.DType() != kind || d != dev || size+n > BucketBytes {
			out = append(out, bucket{})
			size, kind, dev = 0, t.DType(), d
		}
		last := &out[len(out)-1]
		last.members = append(last.members, t)
		size += n
	}
	return out
}

// flatten returns the tensor a bucket's call works on.
func flatten(s *tensor.Scope, ms []*tensor.Tensor) *tensor.Tensor {
	if len(ms) == 1 {
		if ok, err := ms[0].IsContiguous(); err == nil && ok {
			return ms[0] // reduced in place
		}
	}
	flat := make([]*tensor.Tensor, len(ms))
	for i, m := range ms {
		flat[i] = s.T(m.Reshape([]int64{-1}, false))
	}
	return s.T(ts.Cat(flat, 0))
}

// unflatten copies a bucket's reduced values back into its members.
func unflatten(s *tensor.Scope, b bucket) {
	if len(b.members) == 1 && b.flat == b.members[0] {
		return
	}
	var off int64
	for _, m := range b.members {
		n := int64(m.Numel())
		part := s.T(b.flat.Narrow(0, off, n, false))
		tensor.Check(tensor.CopyInto(m, s.T(part.Reshape(tensor.Shape(m), false))))
		off += n
	}
}
