package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is an open safetensors file. Only the header is read by Open; Data
// reads one tensor at a time (ReadAt), so memory stays bounded by the
// largest tensor even for checkpoints of several hundred megabytes.
type File struct {
	Path     string
	Metadata map[string]string

	f       *os.File
	data    int64 // offset of the data section
	infos   []Info
	indexOf map[string]int
}

// Open reads and validates path's header.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	infos, meta, data, err := readHeader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	sf := &File{Path: path, Metadata: meta, f: f, data: data, infos: infos, indexOf: make(map[string]int, len(infos))}
	for i, in := range infos {
		sf.indexOf[in.Name] = i
	}
	return sf, nil
}

func readHeader(r io.ReaderAt, size int64) ([]Info, map[string]string, int64, error) {
	if size < 8 {
		return nil, nil, 0, fmt.Errorf("file has %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, nil, 0, err
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > uint64(size-8) {
		return nil, nil, 0, fmt.Errorf("header length %d exceeds the file size %d: file truncated or not safetensors", n, size)
	}
	if n > MaxHeader {
		return nil, nil, 0, fmt.Errorf("header length %d exceeds the %d-byte limit", n, MaxHeader)
	}
	head := make([]byte, n)
	if _, err := r.ReadAt(head, 8); err != nil {
		return nil, nil, 0, err
	}
	dataStart := 8 + int64(n)
	infos, meta, err := ParseHeader(head, size-dataStart)
	if err != nil {
		return nil, nil, 0, err
	}
	return infos, meta, dataStart, nil
}

// Infos returns the tensors sorted by name.
func (f *File) Infos() []Info { return f.infos }

// Info looks a tensor up by name.
func (f *File) Info(name string) (Info, bool) {
	i, ok := f.indexOf[name]
	if !ok {
		return Info{}, false
	}
	return f.infos[i], true
}

// Data reads one tensor's raw little-endian bytes.
func (f *File) Data(name string) ([]byte, error) {
	in, ok := f.Info(name)
	if !ok {
		return nil, fmt.Errorf("read %s: no tensor %q", f.Path, name)
	}
	buf := make([]byte, in.NumBytes())
	return buf, f.ReadInto(name, buf)
}

// ReadInto reads one tensor's bytes into dst, which must hold exactly
// NumBytes (e.g. a tensor's own memory, saving a copy).
func (f *File) ReadInto(name string, dst []byte) error {
	in, ok := f.Info(name)
	if !ok {
		return fmt.Errorf("read %s: no tensor %q", f.Path, name)
	}
	if int64(len(dst)) != in.NumBytes() {
		return fmt.Errorf("read %s: tensor %q has %d bytes, buffer %d", f.Path, name, in.NumBytes(), len(dst))
	}
	if _, err := f.f.ReadAt(dst, f.data+in.Begin); err != nil {
		return fmt.Errorf("read %s: tensor %q: %w", f.Path, name, err)
	}
	return nil
}

// Close closes the underlying file.
func (f *File) Close() error { return f.f.Close() }

// Write writes a safetensors file atomically: into a temporary file in the
// same directory, synced, then renamed over path, so a crash never leaves a
// half-written checkpoint. data supplies each tensor's bytes in name order,
// one at a time (bounded memory). meta is written as __metadata__; pass
// {"format": "pt"} for files transformers should load.
func Write(path string, tensors []Info, meta map[string]string, data func(Info) ([]byte, error)) error {
	head, layout, err := EncodeHeader(tensors, meta)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = WriteAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(head); err != nil {
			return err
		}
		for _, in := range layout {
			b, err := data(in)
			if err != nil {
				return fmt.Errorf("tensor %q: %w", in.Name, err)
			}
			if int64(len(b)) != in.NumBytes() {
				return fmt.Errorf("tensor %q: got %d bytes, %s %v needs %d", in.Name, len(b), in.DType, in.Shape, in.NumBytes())
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// CopyAtomic copies the file from to the path to through WriteAtomic: to
// is the whole copy or what it was before. An error opening from is
// returned as it is (errors.Is finds os.ErrNotExist).
func CopyAtomic(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	return WriteAtomic(to, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// WriteAtomic writes a file through fill into a temporary file beside path,
// syncs it and renames it over path. On error nothing is left behind.
func WriteAtomic(path string, fill func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes 0600 files
		return err
	}
	return os.Rename(tmp.Name(), path)
}
