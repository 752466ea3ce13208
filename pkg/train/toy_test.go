package train

import (
	"context"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/data"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights"
)

// toy is a tiny token model (embedding → dropout → linear) that predicts
// each example's labels: enough parameters of each kind (a ≥2-D weight, a
// 1-D bias) and a dropout to exercise decay, clipping, seeding and resume.
type toy struct {
	store   *nn.Store
	emb, w  *tensor.Tensor
	b       *tensor.Tensor
	dropout float64
	eval    data.Batch
	nanAt   int // Loss returns NaN on this call (1-based); 0 never
	calls   int
	evalSeq []float64 // scripted eval losses, consumed in order, when set
}

const toyVocab, toyDim = 11, 6

func newToy(dropout float64) (*toy, error) {
	m := &toy{store: nn.NewStore(gotch.CPU), dropout: dropout}
	err := tensor.Catch(func() {
		r := m.store.Root()
		m.emb = r.Param("emb.weight", []int64{toyVocab, toyDim}, nn.Normal(0.5))
		m.w = r.Param("out.weight", []int64{toyVocab, toyDim}, nn.Normal(0.5))
		m.b = r.Param("out.bias", []int64{toyVocab}, nn.Zeros())
	})
	return m, err
}

func (m *toy) Name() string     { return "toy" }
func (m *toy) Store() *nn.Store { return m.store }
func (m *toy) Save(d string) error {
	return weights.Save(d, m.store, map[string]string{"model_type": "toy"}, weights.SaveOptions{})
}
func (m *toy) load(d string) error {
	_, err := weights.Load(d, m.store, weights.LoadOptions{})
	return err
}

func (m *toy) Tokens(b data.Batch) int {
	n := 0
	for _, l := range b.Lens {
		n += l
	}
	return n
}

func (m *toy) Loss(b data.Batch) (loss *tensor.Tensor, stats map[string]float64, err error) {
	defer tensor.Recover(&err)
	m.calls++
	loss = m.forward(b, true)
	if m.calls == m.nanAt {
		s := tensor.NewScope()
		defer s.Close()
		nan := s.T(loss.MulScalar(s.Float(math.NaN()), false))
		tensor.Free(loss)
		loss = s.Keep(nan)
	}
	return loss, map[string]float64{"calls": float64(m.calls)}, nil
}

// forward returns the mean cross-entropy of b's labels (-100 ignored).
func (m *toy) forward(b data.Batch, train bool) *tensor.Tensor {
	s := tensor.NewScope()
	defer s.Close()
	ids := s.T(tensor.FromRows(b.InputIDs, gotch.CPU))
	labels := s.T(tensor.FromRows(b.Labels, gotch.CPU))
	x := s.T(ts.Embedding(m.emb, ids, -1, false, false)) // [B, T, D]
	if m.dropout > 0 {
		x = s.T(ts.Dropout(x, m.dropout, train))
	}
	logits := s.T(ts.Linear(x, m.w, m.b)) // [B, T, V]
	flat := s.T(logits.View([]int64{-1, toyVocab}, false))
	return s.Keep(s.T(flat.CrossEntropyLoss(s.T(labels.View([]int64{-1}, false)), ts.None, 1, -100, 0, false)))
}

func (m *toy) Eval(context.Context) (map[string]float64, error) {
	if m.evalSeq != nil {
		v := m.evalSeq[0]
		m.evalSeq = m.evalSeq[1:]
		return map[string]float64{"loss": v}, nil
	}
	var v float64
	err := tensor.NoGrad(func() {
		l := m.forward(m.eval, false)
		defer tensor.Free(l)
		var err error
		v, err = tensor.Item(l)
		tensor.Check(err)
	})
	return map[string]float64{"loss": v}, err
}

func (m *toy) EvalKeys() []string { return []string{"loss"} }

// toyData returns n examples of length t: each label is the next id of an
// arithmetic sequence, learnable from the current id alone.
func toyData(n, t int) []data.Encoded {
	out := make([]data.Encoded, n)
	for i := range out {
		x := data.Encoded{IDs: make([]int64, t), TypeIDs: make([]int64, t), Labels: make([]int64, t)}
		for j := range t {
			x.IDs[j] = int64((i + 3*j) % toyVocab)
			x.Labels[j] = int64((i + 3*j + 3) % toyVocab)
		}
		out[i] = x
	}
	return out
}

func toyLoader(n, t, batch int, shuffle bool) (*data.Loader, error) {
	return data.NewLoader(toyData(n, t), data.Sampler{BatchSize: batch, Shuffle: shuffle, Seed: 7}, data.Collator{})
}

// toyConfig is a short run writing into dir.
func toyConfig(dir string) Config {
	c := DefaultConfig()
	c.OutputDir = dir
	c.Optimizer.LR = 0.05
	c.Optimizer.WeightDecay = 0.1
	c.Schedule = Schedule{Kind: Cosine, Warmup: 3}
	c.BatchSize = 4
	c.MaxSteps = 30
	c.SaveEvery = 5
	c.EvalEvery = 10
	c.KeepLast = 2
	c.BF16 = BF16Off // the toy tests compare gradients at fp32 tolerances, on any CPU
	return c
}

// newToyRun builds the toy model, its data and a loop over them.
func newToyRun(cfg Config, dropout float64) (*toy, *Loop[data.Batch], error) {
	m, err := newToy(dropout)
	if err != nil {
		return nil, nil, err
	}
	if m.eval, err = (data.Collator{}).Collate(toyData(8, 5)); err != nil {
		return nil, nil, err
	}
	ld, err := toyLoader(24, 5, cfg.BatchSize, true)
	if err != nil {
		return nil, nil, err
	}
	l, err := New(cfg, m, ld)
	return m, l, err
}
