// Package nn holds gotrl's parameter store: every trainable or frozen tensor
// of a model under its Hugging Face name, in creation order. Layers are built
// from a *Path (tch-rs style): p.Sub("h").Sub("3").Param("weight", ...)
// creates "h.3.weight", so store names are checkpoint names and loading needs
// no mapping code.
package nn

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/gotrl/gotrl/internal/tensor"
)

// Var is one named parameter (or buffer, when not Persistent-trainable).
type Var struct {
	Name      string
	T         *tensor.Tensor
	Trainable bool
	// NoDecay marks tensors AdamW must not decay: biases, norms and other
	// 1-D tensors (nanoGPT's configure_optimizers rule: decay only ≥ 2-D).
	NoDecay bool
	// Buffer marks non-parameter state (e.g. position ids); never trained.
	Buffer bool
}

// Store owns the parameters of one model on one device.
type Store struct {
	dev     gotch.Device
	vars    []*Var
	byName  map[string]*Var
	modules []NamedModule
}

// NamedModule is a layer registered under its path (PEFT finds LoRA
// targets among these, as it walks model.named_modules()).
type NamedModule struct {
	Name   string
	Module any
}

// RegisterModule records layer m under name; layers.NewLinear and
// layers.NewConv1D register themselves.
func (s *Store) RegisterModule(name string, m any) {
	s.modules = append(s.modules, NamedModule{name, m})
}

// Modules returns the registered layers in creation order.
func (s *Store) Modules() []NamedModule { return s.modules }

// Delete frees and removes variable name (LoRA's merge drops its
// adapter tensors); it reports whether the variable existed.
func (s *Store) Delete(name string) bool {
	v, ok := s.byName[name]
	if !ok {
		return false
	}
	tensor.Free(v.T)
	delete(s.byName, name)
	s.vars = slices.DeleteFunc(s.vars, func(x *Var) bool { return x == v })
	return true
}

// NewStore returns an empty store on dev.
func NewStore(dev gotch.Device) *Store {
	return &Store{dev: dev, byName: map[string]*Var{}}
}

// Device is where the store's tensors live.
func (s *Store) Device() gotch.Device { return s.dev }

// Root is the empty path.
func (s *Store) Root() *Path { return &Path{store: s} }

// Vars returns every variable in creation order.
func (s *Store) Vars() []*Var { return s.vars }

// Get looks a variable up by full name.
func (s *Store) Get(name string) (*Var, bool) {
	v, ok := s.byName[name]
	return v, ok
}

// Names returns the sorted variable names.
func (s *Store) Names() []string {
	names := make([]string, 0, len(s.vars))
	for _, v := range s.vars {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return names
}

// Trainable returns the variables an optimizer should update.
func (s *Store) Trainable() []*Var {
	var out []*Var
	for _, v := range s.vars {
		if v.Trainable && !v.Buffer {
			out = append(out, v)
		}
	}
	return out
}

// NumParams counts elements of all parameters and of the trainable ones.
func (s *Store) NumParams() (total, trainable int64) {
	for _, v := range s.vars {
		if v.Buffer {
			continue
		}
		n := int64(v.T.Numel())
		total += n
		if v.Trainable {
			trainable += n
		}
	}
	return total, trainable
}

// SetTrainable sets each parameter's trainable flag to keep(name): the
// basis of freezing by name pattern.
func (s *Store) SetTrainable(keep func(name string) bool) error {
	for _, v := range s.vars {
		if v.Buffer {
			continue
		}
		on := keep(v.Name)
		if on == v.Trainable {
			continue
		}
		// requires_grad_ flips the flag in place: the layers holding v.T
		// keep a valid handle (SetRequiresGrad would return a new one).
		if err := v.T.RequiresGrad_(on); err != nil {
			return fmt.Errorf("set trainable %s: %w", v.Name, err)
		}
		v.Trainable = on
	}
	return nil
}

// Freeze makes every parameter whose name matches the regular expression
// untrainable (e.g. `^transformer\.(wte|wpe|h\.[0-9]\.)` keeps the top
// layers trainable).
func (s *Store) Freeze(pattern string) error {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fmt.Errorf("freeze pattern %q: %w", pattern, err)
	}
	return s.SetTrainable(func(name string) bool {
		v := s.byName[name]
		return v.Trainable && !re.MatchString(name)
	})
}

// Close frees every tensor of the store.
func (s *Store) Close() {
	for _, v := range s.vars {
		tensor.Free(v.T)
	}
	s.vars, s.byName, s.modules = nil, map[string]*Var{}, nil
}

// Path is a name prefix inside a store.
type Path struct {
	store  *Store
	prefix string
}

// Sub returns the child path prefix.name.
func (p *Path) Sub(name string) *Path {
	return &Path{store: p.store, prefix: p.Name(name)}
}

// Name returns the full name of a leaf under p.
func (p *Path) Name(leaf string) string {
	if p.prefix == "" {
		return leaf
	}
	return p.prefix + "." + leaf
}

// Prefix is the path's full name ("" at the root).
func (p *Path) Prefix() string { return p.prefix }

// Store returns the store the path belongs to.
func (p *Path) Store() *Store { return p.store }

// Device is the store's device.
func (p *Path) Device() gotch.Device { return p.store.dev }

// Init describes how a new parameter is filled.
type Init struct {
	Kind  string  // "normal", "zeros", "ones", "uniform", "const"
	Std   float64 // normal
	Bound float64 // uniform in [-Bound, Bound]
	Value float64 // const
}

// Normal, Zeros and Ones are the initialisations HF models use.
func Normal(std float64) Init { return Init{Kind: "normal", Std: std} }
func Zeros() Init             { return Init{Kind: "zeros"} }
func Ones() Init              { return Init{Kind: "ones"} }

// Uniform is PyTorch's default Linear init bound 1/sqrt(fanIn).
func Uniform(bound float64) Init { return Init{Kind: "uniform", Bound: bound} }

// KaimingUniform is torch.nn.Linear's default weight init for fan-in fanIn.
func KaimingUniform(fanIn int64) Init { return Uniform(1 / math.Sqrt(float64(fanIn))) }

// Param creates a trainable float32 parameter; names must be unique.
// It panics with *tensor.Error on failure (construction code runs inside a
// Recover at the model's exported constructor).
func (p *Path) Param(name string, shape []int64, init Init) *tensor.Tensor {
	return p.add(name, shape, init, false)
}

// Buffer creates a non-trainable tensor saved with the model.
func (p *Path) Buffer(name string, shape []int64, init Init) *tensor.Tensor {
	return p.add(name, shape, init, true)
}

// Var returns an existing variable's tensor by leaf name, for tied weights.
func (p *Path) Var(name string) (*tensor.Tensor, bool) {
	v, ok := p.store.byName[p.Name(name)]
	if !ok {
		return nil, false
	}
	return v.T, true
}

func (p *Path) add(name string, shape []int64, init Init, buffer bool) *tensor.Tensor {
	full := p.Name(name)
	if _, dup := p.store.byName[full]; dup {
		panic(&tensor.Error{Op: "create parameter", Err: fmt.Errorf("%s already exists", full)})
	}
	t, err := newInit(shape, init, p.store.dev)
	tensor.Checkf(err, "create %s %v", full, shape)
	if !buffer {
		r, err := t.SetRequiresGrad(true, true)
		tensor.Checkf(err, "create %s", full)
		t = r
	}
	v := &Var{Name: full, T: t, Trainable: !buffer, Buffer: buffer, NoDecay: len(shape) < 2}
	p.store.vars = append(p.store.vars, v)
	p.store.byName[full] = v
	return t
}

func newInit(shape []int64, init Init, dev gotch.Device) (*tensor.Tensor, error) {
	switch init.Kind {
	case "zeros":
		return ts.Zeros(shape, gotch.Float, dev)
	case "ones":
		return ts.Ones(shape, gotch.Float, dev)
	case "const":
		v := ts.FloatScalar(init.Value)
		defer v.Drop()
		return ts.Full(shape, v, gotch.Float, dev)
	case "normal":
		t, err := ts.Randn(shape, gotch.Float, dev)
		if err != nil {
			return nil, err
		}
		std := ts.FloatScalar(init.Std)
		defer std.Drop()
		if err := t.MulScalar_(std); err != nil {
			tensor.Free(t)
			return nil, err
		}
		return t, nil
	case "uniform":
		t, err := ts.Zeros(shape, gotch.Float, dev)
		if err != nil {
			return nil, err
		}
		if err := t.Uniform_(-init.Bound, init.Bound); err != nil {
			tensor.Free(t)
			return nil, err
		}
		return t, nil
	}
	return nil, fmt.Errorf("unknown init %q", init.Kind)
}

// Prefixed reports whether name lies under one of the given path prefixes.
func Prefixed(name string, prefixes ...string) bool {
	for _, pre := range prefixes {
		if name == pre || strings.HasPrefix(name, pre+".") {
			return true
		}
	}
	return false
}
