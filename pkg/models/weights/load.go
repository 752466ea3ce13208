package weights

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// LoadOptions are a family's exceptions to "file name = store name". A
// family keeps them in its weights.go (≤ 40 lines).
type LoadOptions struct {
	// Partial turns missing and unexpected tensors from an error into a
	// report (tch-rs load_partial); shape mismatches stay errors.
	Partial bool
	// Rename maps a checkpoint name to a store name; ok=false ignores the
	// tensor (e.g. GPT-2's attn.masked_bias buffers). nil keeps names.
	Rename func(fileName string) (storeName string, ok bool)
	// Tied maps a store name to the store name it duplicates (lm_head.weight
	// → transformer.wte.weight). A tied tensor the file lacks is filled from
	// its source instead of being missing; one the file has but the store
	// shares with its source (no variable of its own) is not unexpected.
	Tied map[string]string
}

// Named is a tensor name with its shape.
type Named struct {
	Name  string
	Shape []int64
}

func (n Named) String() string { return fmt.Sprintf("%s %v", n.Name, n.Shape) }

// MisShaped is a tensor whose file and store shapes differ.
type MisShaped struct {
	Name        string
	File, Model []int64
}

func (m MisShaped) String() string {
	return fmt.Sprintf("%s: file %v, model %v", m.Name, m.File, m.Model)
}

// Report says what Load did. Store buffers the file lacks are neither
// loaded nor missing: they are HF's non-persistent buffers (position_ids,
// GPT-2's causal mask), which the model computes and never saves.
type Report struct {
	Path       string
	Loaded     []string // store names filled from the file (tied ones included)
	Missing    []Named  // store parameters the file lacks (store shape)
	Unexpected []Named  // file tensors with no store variable (file shape)
	Ignored    []string // file names Rename dropped or tied duplicates
	MisShaped  []MisShaped
}

// check returns the report as an error: mis-shaped tensors always, missing
// and unexpected ones unless partial.
func (r *Report) check(partial bool) error {
	var parts []string
	if !partial && len(r.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d missing (%s)", len(r.Missing), list(strs(r.Missing))))
	}
	if !partial && len(r.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("%d unexpected (%s)", len(r.Unexpected), list(strs(r.Unexpected))))
	}
	if len(r.MisShaped) > 0 {
		parts = append(parts, fmt.Sprintf("%d mis-shaped (%s)", len(r.MisShaped), list(strs(r.MisShaped))))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("load %s: %s", r.Path, strings.Join(parts, ", "))
}

func strs[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// Load copies the checkpoint in dir (see Open) into the store's existing
// tensors, converting element type and device, without recording
// gradients. It checks every name and shape before copying anything, so a
// failed load leaves the store untouched. Mirrors PreTrainedModel.
// from_pretrained's state-dict load, but strict unless opts.Partial.
func Load(dir string, store *nn.Store, opts LoadOptions) (rep Report, err error) {
	defer tensor.Recover(&err)
	ck, err := Open(dir)
	if err != nil {
		return Report{}, err
	}
	defer ck.Close()
	rep, plan, err := match(ck, store, opts)
	if err != nil {
		return rep, err
	}
	if err := rep.check(opts.Partial); err != nil {
		return rep, err
	}
	for _, v := range store.Vars() {
		file, ok := plan[v.Name]
		if !ok {
			continue
		}
		src, err := ck.Tensor(file, gotch.CPU)
		if err != nil {
			return rep, err
		}
		if err := checkFinite(src, ck.Path, file); err != nil {
			tensor.Free(src)
			return rep, err
		}
		err = tensor.CopyInto(v.T, src)
		tensor.Free(src)
		if err != nil {
			return rep, fmt.Errorf("load %s: tensor %q into %s: %w", ck.Path, file, v.Name, err)
		}
		rep.Loaded = append(rep.Loaded, v.Name)
	}
	return rep, nil
}

// match pairs store variables with checkpoint tensors: plan maps a store
// name to the file name it is read from.
func match(ck *Checkpoint, store *nn.Store, opts LoadOptions) (Report, map[string]string, error) {
	rep := Report{Path: ck.Path}
	plan := map[string]string{}
	for _, file := range ck.Names() {
		info, _ := ck.Info(file)
		name, ok := file, true
		if opts.Rename != nil {
			name, ok = opts.Rename(file)
		}
		if !ok {
			rep.Ignored = append(rep.Ignored, file)
			continue
		}
		if prev, dup := plan[name]; dup {
			return rep, nil, fmt.Errorf("load %s: tensors %q and %q both map to %s", ck.Path, prev, file, name)
		}
		v, ok := store.Get(name)
		if !ok {
			if src, tied := opts.Tied[name]; tied && hasVar(store, src) {
				rep.Ignored = append(rep.Ignored, file) // the model shares src's tensor
			} else {
				rep.Unexpected = append(rep.Unexpected, Named{file, info.Shape})
			}
			continue
		}
		if shape := tensor.Shape(v.T); !slices.Equal(shape, info.Shape) {
			rep.MisShaped = append(rep.MisShaped, MisShaped{name, info.Shape, shape})
			continue
		}
		plan[name] = file
	}
	for _, v := range store.Vars() {
		if _, ok := plan[v.Name]; ok || v.Buffer || isMisShaped(rep.MisShaped, v.Name) {
			continue
		}
		if file, ok := plan[opts.Tied[v.Name]]; ok {
			info, _ := ck.Info(file)
			if shape := tensor.Shape(v.T); !slices.Equal(shape, info.Shape) {
				rep.MisShaped = append(rep.MisShaped, MisShaped{v.Name + " (tied to " + file + ")", info.Shape, shape})
				continue
			}
			plan[v.Name] = file
			continue
		}
		rep.Missing = append(rep.Missing, Named{v.Name, tensor.Shape(v.T)})
	}
	return rep, plan, nil
}

func hasVar(store *nn.Store, name string) bool {
	_, ok := store.Get(name)
	return ok
}

func isMisShaped(ms []MisShaped, name string) bool {
	for _, m := range ms {
		if m.Name == name {
			return true
		}
	}
	return false
}

// checkFinite refuses a floating-point tensor holding NaN or ±Inf: such a
// model trains "at a too high learning rate" and generates padding, far
// from the cause. One reduction per tensor: a float64 sum of finite
// float32/16 values cannot overflow, so it is finite exactly when every
// element is.
func checkFinite(t *tensor.Tensor, path, name string) error {
	switch t.DType() {
	case gotch.Float, gotch.Double, gotch.Half, gotch.BFloat16:
	default:
		return nil
	}
	s, err := t.Sum(gotch.Double, false)
	if err != nil {
		return fmt.Errorf("load %s: tensor %q: %w", path, name, err)
	}
	defer tensor.Free(s)
	v, err := tensor.Item(s)
	if err != nil {
		return fmt.Errorf("load %s: tensor %q: %w", path, name, err)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("load %s: tensor %q holds NaN or infinite values: the weights are damaged (or came from a diverged run)", path, name)
	}
	return nil
}
