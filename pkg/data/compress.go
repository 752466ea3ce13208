package data

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// codec is a compression HF datasets reads by extension (fsspec's
// compression registry): the file is decompressed on the fly and the
// extension under it tells the format.
type codec struct {
	ext  string // the extension, lower case
	name string // for errors
	open func(io.Reader) (io.Reader, error)
}

var codecs = []codec{
	{".gz", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	{".bz2", "bzip2", func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil }},
	{".xz", "xz", func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) }},
	{".zst", "zstd", func(r io.Reader) (io.Reader, error) {
		// One goroutine: the decoder's default is one per core, and
		// data files are read one at a time.
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}},
}

// codecOf returns the compression a file name ends in, if any.
func codecOf(path string) (codec, bool) {
	for _, c := range codecs {
		if len(path) >= len(c.ext) && strings.EqualFold(c.ext, path[len(path)-len(c.ext):]) {
			return c, true
		}
	}
	return codec{}, false
}

// TrimCompression returns path without the compression extension it ends
// in, if any: data.jsonl.zst is read as data.jsonl.
func TrimCompression(path string) string {
	if c, ok := codecOf(path); ok {
		return path[:len(path)-len(c.ext)]
	}
	return path
}

// open opens a data file for reading, decompressing it on the fly when its
// name ends in .gz, .bz2, .xz or .zst (data.jsonl.gz, as HF datasets and
// most dumps write them). Errors name the file; a corrupt or truncated
// stream surfaces as a read error ("corrupt bzip2 stream: ...") at the line
// where it broke, which the readers prefix with the file and line.
func open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	c, ok := codecOf(path)
	if !ok {
		return f, nil
	}
	zr, err := c.open(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: corrupt %s stream: %w", path, c.name, err)
	}
	return &decompressed{r: zr, f: f, name: c.name}, nil
}

// decompressed closes both the decompressor and the file under it, and
// says which decompressor failed.
type decompressed struct {
	r    io.Reader
	f    *os.File
	name string
}

func (d *decompressed) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("corrupt %s stream: %w", d.name, err)
	}
	return n, err
}

func (d *decompressed) Close() error {
	var err error
	if c, ok := d.r.(io.Closer); ok {
		err = c.Close()
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}
