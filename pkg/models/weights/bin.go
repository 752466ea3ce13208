package weights

import (
	"archive/zip"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/pickle"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// addBin reads a pytorch_model.bin written by torch.save (the zip format of
// torch ≥ 1.6). It uses gotch's unpickler for the pickled state dict but not
// pickle.Decode, which log.Fatal()s on odd input: storages are read here as
// raw bytes, their sizes checked against the zip records before anything is
// allocated, and any panic of the unpickler becomes an error.
func (c *Checkpoint) addBin(file string) error {
	z, err := zip.OpenReader(file)
	if err != nil {
		return fmt.Errorf("read %s: not a torch zip archive (%v); the legacy pre-1.6 torch.save format is unsupported: convert the checkpoint to safetensors", file, err)
	}
	state, err := unpickleState(z)
	if err != nil {
		z.Close()
		return fmt.Errorf("read %s: %w", file, err)
	}
	c.closers = append(c.closers, z) // entries read their storages lazily
	for _, st := range state {
		if err := c.add(file, st); err != nil {
			return err
		}
	}
	return nil
}

// unpickleState unpickles <archive>/data.pkl into entries.
func unpickleState(z *zip.ReadCloser) (_ []entry, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed pickle: %v", r)
		}
	}()
	records := map[string]*zip.File{}
	var pkl *zip.File
	for _, f := range z.File {
		records[f.Name] = f
		if path.Base(f.Name) == "data.pkl" && strings.Count(f.Name, "/") == 1 {
			pkl = f
		}
	}
	if pkl == nil {
		return nil, fmt.Errorf("no <archive>/data.pkl record: not a torch.save checkpoint")
	}
	prefix := path.Dir(pkl.Name)
	if b, ok := records[prefix+"/byteorder"]; ok {
		if order, err := readRecord(b, 16); err != nil || strings.TrimSpace(string(order)) != "little" {
			return nil, fmt.Errorf("only little-endian checkpoints are supported (byteorder %q)", order)
		}
	}
	storages := map[string]*rawStorage{}
	r, err := pkl.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	up := pickle.NewUnpickler(r)
	up.FindClass = findTorchClass
	up.PersistentLoad = func(id any) (any, error) {
		return loadStorage(id, prefix, records, storages)
	}
	obj, err := up.Load()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	return stateEntries(obj)
}

// findTorchClass resolves the globals a state dict pickle refers to.
func findTorchClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return &pickle.RebuildTensorV2{}, nil
	case "torch._utils._rebuild_tensor":
		return &pickle.RebuildTensor{}, nil
	case "torch._utils._rebuild_parameter":
		return &pickle.RebuildParameter{}, nil
	}
	if module == "torch" && strings.HasSuffix(name, "Storage") {
		if dt, ok := storageTypes[name]; ok {
			return storageClass(dt), nil
		}
	}
	return nil, fmt.Errorf("unsupported pickled class %s.%s (only plain state dicts of dense tensors can be read)", module, name)
}

var storageTypes = map[string]safetensors.DType{
	"DoubleStorage": safetensors.F64, "FloatStorage": safetensors.F32,
	"HalfStorage": safetensors.F16, "BFloat16Storage": safetensors.BF16,
	"LongStorage": safetensors.I64, "IntStorage": safetensors.I32,
	"ShortStorage": safetensors.I16, "CharStorage": safetensors.I8,
	"ByteStorage": safetensors.U8, "BoolStorage": safetensors.Bool,
}

// storageClass and rawStorage satisfy gotch's pickle interfaces but keep a
// storage as raw bytes read straight from its zip record.
type storageClass safetensors.DType

func (c storageClass) New(size int, location string) pickle.Storage {
	return &rawStorage{dtype: safetensors.DType(c), numel: int64(size), location: location}
}

type rawStorage struct {
	dtype    safetensors.DType
	numel    int64
	location string
	record   *zip.File // <archive>/data/<key>, numel × dtype size bytes
}

func (s *rawStorage) SetFromFile(io.Reader) error {
	return fmt.Errorf("legacy storages are unsupported")
}
func (s *rawStorage) SetFromFileWithSize(io.Reader, int) error {
	return fmt.Errorf("legacy storages are unsupported")
}
func (s *rawStorage) DType() gotch.DType   { return kinds[s.dtype] }
func (s *rawStorage) GetData() any         { return nil }
func (s *rawStorage) Device() gotch.Device { return gotch.CPU }

// loadStorage resolves a persistent id ("storage", class, key, location,
// numel) to the bytes of record <prefix>/data/<key>.
func loadStorage(id any, prefix string, records map[string]*zip.File, seen map[string]*rawStorage) (any, error) {
	t, ok := id.(*pickle.Tuple)
	if !ok || t.Len() != 5 {
		return nil, fmt.Errorf("persistent id %v: want (\"storage\", class, key, location, numel)", id)
	}
	kind, _ := t.Get(0).(string)
	class, okClass := t.Get(1).(storageClass)
	key, okKey := t.Get(2).(string)
	location, _ := t.Get(3).(string)
	numel, okNumel := t.Get(4).(int)
	if kind != "storage" || !okClass || !okKey || !okNumel || numel < 0 {
		return nil, fmt.Errorf("persistent id %v: want (\"storage\", class, key, location, numel)", id)
	}
	if s, ok := seen[key]; ok { // tied weights share one storage
		return s, nil
	}
	rec, ok := records[prefix+"/data/"+key]
	if !ok {
		return nil, fmt.Errorf("storage %q: no record %s/data/%s", key, prefix, key)
	}
	s := class.New(numel, location).(*rawStorage)
	want := s.numel * s.dtype.Size()
	if rec.UncompressedSize64 != uint64(want) {
		return nil, fmt.Errorf("storage %q: record has %d bytes, %d %s elements need %d", key, rec.UncompressedSize64, numel, s.dtype, want)
	}
	s.record = rec
	seen[key] = s
	return s, nil
}

// readRecord reads a zip record of at most max bytes.
func readRecord(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("record %s has %d bytes, want at most %d", f.Name, f.UncompressedSize64, max)
	}
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("record %s: %w", f.Name, err)
	}
	return buf, nil
}

// stateEntries turns the unpickled state dict into entries; each checks
// its view now and reads its storage record when asked, so memory stays
// bounded by the largest storage.
func stateEntries(obj any) ([]entry, error) {
	var keys, values []any
	switch d := obj.(type) {
	case *pickle.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			kv := e.Value.(*pickle.OrderedDictEntry)
			keys, values = append(keys, kv.Key), append(values, kv.Value)
		}
	case *pickle.Dict:
		for _, kv := range *d {
			keys, values = append(keys, kv.Key), append(values, kv.Value)
		}
	default:
		return nil, fmt.Errorf("pickle holds a %T, want a state dict", obj)
	}
	out := make([]entry, 0, len(keys))
	for i, k := range keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("state dict key %v is a %T, want a string", k, k)
		}
		st, ok := values[i].(*pickle.StorageTensor)
		if !ok {
			return nil, fmt.Errorf("state dict entry %q is a %T, want a tensor", name, values[i])
		}
		src := st.Source.(*rawStorage)
		if err := checkView(src.numel, st.StorageOffset, st.Size, st.Stride); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		n, _ := safetensors.Numel(st.Size) // checked by checkView
		info := safetensors.Info{Name: name, DType: src.dtype, Shape: st.Size, End: n * src.dtype.Size()}
		read := func(dst []byte) error {
			data, err := readRecord(src.record, src.numel*src.dtype.Size())
			if err != nil {
				return err
			}
			return gather(dst, data, src.dtype.Size(), st.StorageOffset, st.Size, st.Stride)
		}
		out = append(out, entry{info: info, read: read})
	}
	return out, nil
}

// checkView checks that the strided view (offset, shape, stride; in
// elements) lies inside a storage of numel elements, without overflow.
func checkView(numel, offset int64, shape, stride []int64) error {
	if len(stride) != len(shape) {
		return fmt.Errorf("shape %v and stride %v differ in rank", shape, stride)
	}
	n, err := safetensors.Numel(shape)
	if err != nil || n == 0 {
		return err
	}
	if offset < 0 || offset >= numel {
		return fmt.Errorf("offset %d outside its storage of %d elements", offset, numel)
	}
	last := offset // the highest element index the view touches
	for i, d := range shape {
		if stride[i] < 0 {
			return fmt.Errorf("negative stride %v", stride)
		}
		if stride[i] > 0 && d-1 > (numel-1-last)/stride[i] {
			return fmt.Errorf("view (offset %d, shape %v, stride %v) runs past its storage of %d elements", offset, shape, stride, numel)
		}
		last += (d - 1) * stride[i]
	}
	return nil
}

// gather copies a checked strided view of the storage bytes src into dst
// in row-major order (what .contiguous() does).
func gather(dst, src []byte, elt, offset int64, shape, stride []int64) error {
	if err := checkView(int64(len(src))/elt, offset, shape, stride); err != nil {
		return err
	}
	n, _ := safetensors.Numel(shape)
	if int64(len(dst)) != n*elt {
		return fmt.Errorf("view of %d elements, buffer of %d bytes", n, len(dst))
	}
	if n == 0 {
		return nil
	}
	if contiguous(shape, stride) { // the usual case
		copy(dst, src[offset*elt:(offset+n)*elt])
		return nil
	}
	var walk func(dim int, at int64)
	walk = func(dim int, at int64) {
		if dim == len(shape) {
			dst = dst[copy(dst, src[at*elt:(at+1)*elt]):]
			return
		}
		for i := int64(0); i < shape[dim]; i++ {
			walk(dim+1, at+i*stride[dim])
		}
	}
	walk(0, offset)
	return nil
}

// contiguous reports whether stride is shape's row-major stride (ignoring
// dimensions of size 1, whose stride does not matter).
func contiguous(shape, stride []int64) bool {
	want := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}
