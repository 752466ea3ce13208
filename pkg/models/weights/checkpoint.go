package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// Checkpoint file names, in the order Open looks for them (the order of
// transformers' PreTrainedModel.from_pretrained).
const (
	SafetensorsFile  = "model.safetensors"
	SafetensorsIndex = "model.safetensors.index.json"
	BinFile          = "pytorch_model.bin"
	BinIndex         = "pytorch_model.bin.index.json"
	ConfigFile       = "config.json"
)

// Checkpoint is a set of named tensors on disk: one safetensors file, a
// sharded set, or a pytorch_model.bin. Names and shapes are known up front;
// tensor data is read one tensor at a time.
type Checkpoint struct {
	// Path is the file that names the checkpoint in errors: the weights
	// file, or the index of a sharded checkpoint.
	Path    string
	entries map[string]entry
	names   []string
	closers []io.Closer
}

// entry is one tensor and how to read its bytes into a buffer of
// info.NumBytes().
type entry struct {
	info safetensors.Info
	read func(dst []byte) error
}

// Open opens the checkpoint in dir, preferring model.safetensors, then its
// index, then pytorch_model.bin and its index. path may also name a
// .safetensors, .bin or index .json file directly.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	if !st.IsDir() {
		return openFile(path)
	}
	for _, name := range []string{SafetensorsFile, SafetensorsIndex, BinFile, BinIndex} {
		p := filepath.Join(path, name)
		if _, err := os.Stat(p); err == nil {
			return openFile(p)
		}
	}
	return nil, fmt.Errorf("open checkpoint: %s has none of %s, %s, %s, %s", path, SafetensorsFile, SafetensorsIndex, BinFile, BinIndex)
}

func openFile(path string) (*Checkpoint, error) {
	c := &Checkpoint{Path: path, entries: map[string]entry{}}
	var err error
	switch {
	case strings.HasSuffix(path, ".index.json"):
		err = c.addIndex(path)
	case strings.HasSuffix(path, ".bin"):
		err = c.addBin(path)
	default:
		err = c.addSafetensors(path)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	for name := range c.entries {
		c.names = append(c.names, name)
	}
	sort.Strings(c.names)
	return c, nil
}

func (c *Checkpoint) add(path string, e entry) error {
	if _, dup := c.entries[e.info.Name]; dup {
		return fmt.Errorf("read %s: tensor %q appears in two shards", path, e.info.Name)
	}
	c.entries[e.info.Name] = e
	return nil
}

func (c *Checkpoint) addSafetensors(path string) error {
	f, err := safetensors.Open(path)
	if err != nil {
		return err
	}
	c.closers = append(c.closers, f)
	for _, in := range f.Infos() {
		name := in.Name
		if err := c.add(path, entry{info: in, read: func(dst []byte) error { return f.ReadInto(name, dst) }}); err != nil {
			return err
		}
	}
	return nil
}

// addIndex reads a sharded checkpoint's index ({"weight_map": {tensor:
// shard file}}) and every shard it lists, checking that each tensor is in
// the shard the index names.
func (c *Checkpoint) addIndex(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(index.WeightMap) == 0 {
		return fmt.Errorf("read %s: no weight_map", path)
	}
	shards := map[string]bool{}
	for name, shard := range index.WeightMap {
		if shard == "" || filepath.Base(shard) != shard {
			return fmt.Errorf("read %s: tensor %q: shard %q must be a file name in the same directory", path, name, shard)
		}
		shards[shard] = true
	}
	files := make([]string, 0, len(shards))
	for s := range shards {
		files = append(files, s)
	}
	sort.Strings(files)
	dir := filepath.Dir(path)
	shardOf := map[string]string{}
	for _, s := range files {
		before := len(c.entries)
		p := filepath.Join(dir, s)
		if strings.HasSuffix(s, ".bin") {
			err = c.addBin(p)
		} else {
			err = c.addSafetensors(p)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if len(c.entries) == before {
			return fmt.Errorf("read %s: shard %s holds no tensors", path, s)
		}
		for name := range c.entries {
			if _, seen := shardOf[name]; !seen {
				shardOf[name] = s
			}
		}
	}
	var wrong []string
	for name, shard := range index.WeightMap {
		if got, ok := shardOf[name]; !ok || got != shard {
			wrong = append(wrong, fmt.Sprintf("%s (not in %s)", name, shard))
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		return fmt.Errorf("read %s: weight_map lists %d tensor(s) their shard lacks: %s", path, len(wrong), list(wrong))
	}
	return nil
}

// Names returns the tensor names, sorted.
func (c *Checkpoint) Names() []string { return c.names }

// Info returns a tensor's element type and shape.
func (c *Checkpoint) Info(name string) (safetensors.Info, bool) {
	e, ok := c.entries[name]
	return e.info, ok
}

// Tensor reads one tensor onto dev, in the file's element type. The caller
// owns (frees) it.
func (c *Checkpoint) Tensor(name string, dev gotch.Device) (*tensor.Tensor, error) {
	e, ok := c.entries[name]
	if !ok {
		return nil, fmt.Errorf("read %s: no tensor %q", c.Path, name)
	}
	t, err := newTensor(e.info.DType, e.info.Shape, dev, e.read)
	if err != nil {
		return nil, fmt.Errorf("read %s: tensor %q: %w", c.Path, name, err)
	}
	return t, nil
}

// Close closes the checkpoint's files.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.closers {
		errs = append(errs, f.Close())
	}
	c.closers = nil
	return errors.Join(errs...)
}

// list joins names for an error message, eliding after the first ten so a
// wholesale mismatch (say, a BERT checkpoint given to GPT-2) stays readable.
func list(items []string) string {
	const max = 10
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s, … and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
