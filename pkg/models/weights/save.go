package weights

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// SaveOptions control what Save writes.
type SaveOptions struct {
	// DType is the element type of floating-point tensors: "" or F32
	// (default), F16, BF16 or F64. Integer tensors keep their type.
	DType safetensors.DType
	// Rename maps a store name to its checkpoint name; ok=false skips the
	// tensor. nil keeps names.
	Rename func(storeName string) (fileName string, ok bool)
	// Tied lists duplicates as in LoadOptions; each key is left out of the
	// file (as transformers' save_pretrained drops tied weights) and
	// restored from its source by Load.
	Tied map[string]string
	// Copies also writes a store tensor under a second file name (after
	// Rename): a tie transformers does not restore by itself.
	Copies map[string]string
	// Buffers also writes the store's buffers. By default they are skipped:
	// gotrl's buffers mirror HF's non-persistent ones.
	Buffers bool
}

// Save writes dir/config.json (config as indented JSON; skipped when nil)
// and dir/model.safetensors, each atomically, so Python's
// from_pretrained(dir) and Load read them back. The weights are written
// first: a crash in between leaves the old config beside the new weights,
// never a torn file.
func Save(dir string, store *nn.Store, config any, opts SaveOptions) error {
	dt := opts.DType
	if dt == "" {
		dt = safetensors.F32
	}
	if !dt.Float() {
		return fmt.Errorf("save %s: dtype %q is not a floating-point type", dir, dt)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	var js []byte
	if config != nil { // encode first: a bad config must not leave new weights behind
		var err error
		if js, err = json.MarshalIndent(config, "", "  "); err != nil {
			return fmt.Errorf("save %s: config: %w", dir, err)
		}
		js = append(js, '\n')
	}
	var named []namedTensor
	for _, v := range store.Vars() {
		if (v.Buffer && !opts.Buffers) || opts.Tied[v.Name] != "" {
			continue
		}
		name, ok := v.Name, true
		if opts.Rename != nil {
			name, ok = opts.Rename(v.Name)
		}
		if ok {
			named = append(named, namedTensor{name, v.T})
		}
		if c := opts.Copies[v.Name]; c != "" {
			named = append(named, namedTensor{c, v.T})
		}
	}
	if err := writeTensors(filepath.Join(dir, SafetensorsFile), named, dt); err != nil {
		return err
	}
	if config == nil {
		return nil
	}
	return safetensors.WriteAtomic(filepath.Join(dir, ConfigFile), func(w io.Writer) error {
		_, err := w.Write(js)
		return err
	})
}

// SaveTensors writes tensors to a safetensors file atomically, keeping
// each tensor's element type (optimizer state, test fixtures).
func SaveTensors(path string, tensors map[string]*tensor.Tensor) error {
	named := make([]namedTensor, 0, len(tensors))
	for name, t := range tensors {
		named = append(named, namedTensor{name, t})
	}
	return writeTensors(path, named, "")
}

// ReadTensors reads every tensor of a safetensors file (or any checkpoint
// Open accepts) onto dev. The caller owns the tensors.
func ReadTensors(path string, dev gotch.Device) (map[string]*tensor.Tensor, error) {
	ck, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	out := make(map[string]*tensor.Tensor, len(ck.Names()))
	for _, name := range ck.Names() {
		t, err := ck.Tensor(name, dev)
		if err != nil {
			for _, t := range out {
				tensor.Free(t)
			}
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

type namedTensor struct {
	name string
	t    *tensor.Tensor
}

// writeTensors writes tensors with metadata {"format": "pt"} (what
// transformers expects). Floating-point tensors are converted to floatType
// unless it is ""; data is fetched one tensor at a time.
func writeTensors(path string, tensors []namedTensor, floatType safetensors.DType) (err error) {
	defer tensor.Recover(&err)
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].name < tensors[j].name })
	infos := make([]safetensors.Info, len(tensors))
	byName := make(map[string]*tensor.Tensor, len(tensors))
	for i, nt := range tensors {
		if nt.t == nil {
			return fmt.Errorf("write %s: tensor %q is nil", path, nt.name)
		}
		dt, err := DTypeOf(nt.t.DType())
		if err != nil {
			return fmt.Errorf("write %s: tensor %q: %w", path, nt.name, err)
		}
		if floatType != "" && dt.Float() {
			dt = floatType
		}
		infos[i] = safetensors.Info{Name: nt.name, DType: dt, Shape: tensor.Shape(nt.t)}
		byName[nt.name] = nt.t
	}
	return safetensors.Write(path, infos, map[string]string{"format": "pt"}, func(in safetensors.Info) ([]byte, error) {
		return toBytes(byName[in.Name], in.DType)
	})
}
