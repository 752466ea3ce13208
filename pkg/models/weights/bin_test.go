package weights

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGather(t *testing.T) {
	src := []byte{0, 1, 2, 3, 4, 5, 6, 7}
	tests := []struct {
		name          string
		offset        int64
		shape, stride []int64
		want          []byte
		err           string
	}{
		{"contiguous", 0, []int64{2, 3}, []int64{3, 1}, []byte{0, 1, 2, 3, 4, 5}, ""},
		{"offset", 2, []int64{3}, []int64{1}, []byte{2, 3, 4}, ""},
		{"transposed", 0, []int64{3, 2}, []int64{1, 3}, []byte{0, 3, 1, 4, 2, 5}, ""},
		{"every other", 1, []int64{4}, []int64{2}, []byte{1, 3, 5, 7}, ""},
		{"broadcast row", 4, []int64{2, 2}, []int64{0, 1}, []byte{4, 5, 4, 5}, ""},
		{"scalar", 6, []int64{}, []int64{}, []byte{6}, ""},
		{"empty", 99, []int64{0, 3}, []int64{3, 1}, []byte{}, ""},
		{"past end", 4, []int64{5}, []int64{1}, nil, "runs past its storage of 8 elements"},
		{"huge stride", 0, []int64{3}, []int64{1 << 62}, nil, "runs past"},
		{"bad offset", 8, []int64{1}, []int64{1}, nil, "offset 8 outside"},
		{"rank mismatch", 0, []int64{2}, []int64{1, 1}, nil, "differ in rank"},
		{"negative stride", 4, []int64{2}, []int64{-1}, nil, "negative stride"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]byte, len(tt.want))
			err := gather(got, src, 1, tt.offset, tt.shape, tt.stride)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("gather = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	// Elements wider than a byte move as units.
	got := make([]byte, 4)
	if err := gather(got, []byte{0, 1, 2, 3, 4, 5}, 2, 0, []int64{2}, []int64{2}); err != nil || !bytes.Equal(got, []byte{0, 1, 4, 5}) {
		t.Errorf("2-byte gather = %v, %v; want [0 1 4 5]", got, err)
	}
}

// rezip copies the fixture .bin, letting edit change or drop records.
func rezip(t *testing.T, edit func(name string, data []byte) ([]byte, bool)) []byte {
	t.Helper()
	z, err := zip.OpenReader(models + "gpt2-bin/pytorch_model.bin")
	if err != nil {
		t.Skipf("fixtures: %v", err)
	}
	defer z.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		data, keep := edit(f.Name, data)
		if !keep {
			continue
		}
		out, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		out.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBadBin feeds broken pytorch_model.bin files: each must give an error
// naming the file, never a panic or a log.Fatal.
func TestBadBin(t *testing.T) {
	valid, err := os.ReadFile(models + "gpt2-bin/pytorch_model.bin")
	if err != nil {
		t.Skipf("fixtures: %v", err)
	}
	isPkl := func(name string) bool { return strings.HasSuffix(name, "/data.pkl") }
	isStorage := func(name string) bool { return strings.Contains(name, "/data/") }
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"truncated start", valid[:100], "not a torch zip archive"},
		{"truncated middle", valid[:len(valid)/2], "not a torch zip archive"},
		{"truncated end", valid[:len(valid)-10], "not a torch zip archive"},
		{"no data.pkl", rezip(t, func(n string, d []byte) ([]byte, bool) { return d, !isPkl(n) }), "no <archive>/data.pkl"},
		{"no storage", rezip(t, func(n string, d []byte) ([]byte, bool) { return d, !strings.HasSuffix(n, "/data/0") }), "no record"},
		{"short storage", rezip(t, func(n string, d []byte) ([]byte, bool) {
			if isStorage(n) {
				d = d[:len(d)-4]
			}
			return d, true
		}), "record has"},
		{"garbage pickle", rezip(t, func(n string, d []byte) ([]byte, bool) {
			if isPkl(n) {
				d = []byte{0x80, 0x02, 0xff, 0xfe, 0x00}
			}
			return d, true
		}), ""},
		{"cut pickle", rezip(t, func(n string, d []byte) ([]byte, bool) {
			if isPkl(n) {
				d = d[:len(d)/2]
			}
			return d, true
		}), ""},
		{"pickled list", rezip(t, func(n string, d []byte) ([]byte, bool) {
			if isPkl(n) {
				d = []byte{0x80, 0x02, ']', '.'} // protocol 2, empty list, stop
			}
			return d, true
		}), "want a state dict"},
		{"big endian", rezip(t, func(n string, d []byte) ([]byte, bool) {
			if strings.HasSuffix(n, "/byteorder") {
				d = []byte("big")
			}
			return d, true
		}), "little-endian"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".bin")
			if err := os.WriteFile(path, tt.file, 0o644); err != nil {
				t.Fatal(err)
			}
			checkNoLeak(t, func() {
				ck, err := Open(path)
				if err == nil {
					ck.Close()
					t.Fatalf("Open succeeded, want an error")
				}
				if !strings.Contains(err.Error(), "read "+path+": ") || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q, want the file name and %q", err, tt.want)
				}
				t.Log(err)
			})
		})
	}
}
