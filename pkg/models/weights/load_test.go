package weights

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// writeFile saves random tensors of the given shapes and returns the path
// and the tensors (freed at cleanup).
func writeFile(t *testing.T, shapes map[string][]int64) (string, map[string]*tensor.Tensor) {
	t.Helper()
	src := newStore(t, shapes)
	m := map[string]*tensor.Tensor{}
	for _, v := range src.Vars() {
		m[v.Name] = v.T
	}
	path := filepath.Join(t.TempDir(), SafetensorsFile)
	if err := SaveTensors(path, m); err != nil {
		t.Fatal(err)
	}
	return path, m
}

func TestLoadStrict(t *testing.T) {
	model := map[string][]int64{"wte.weight": {10, 4}, "h.0.bias": {4}, "h.1.bias": {4}, "ln.weight": {4}}
	tests := []struct {
		name string
		file map[string][]int64
		opts LoadOptions
		want string // error after "load <path>: "; "" = success
	}{
		{name: "exact", file: model},
		{
			name: "all wrong",
			file: map[string][]int64{"wte.weight": {11, 4}, "h.0.bias": {4}, "foo": {3}, "ln.weight": {4}},
			want: "1 missing (h.1.bias [4]), 1 unexpected (foo [3]), 1 mis-shaped (wte.weight: file [11 4], model [10 4])",
		},
		{
			name: "missing only", file: map[string][]int64{"wte.weight": {10, 4}, "ln.weight": {4}},
			want: "2 missing (h.0.bias [4], h.1.bias [4])",
		},
		{
			name: "unexpected only", file: map[string][]int64{"wte.weight": {10, 4}, "h.0.bias": {4}, "h.1.bias": {4}, "ln.weight": {4}, "pooler.w": {2, 2}},
			want: "1 unexpected (pooler.w [2 2])",
		},
		{
			name: "renamed prefix and ignored buffer",
			file: map[string][]int64{"transformer.wte.weight": {10, 4}, "transformer.h.0.bias": {4}, "transformer.h.1.bias": {4}, "transformer.ln.weight": {4}, "transformer.h.0.attn.masked_bias": {1}},
			opts: LoadOptions{Rename: func(name string) (string, bool) {
				if strings.HasSuffix(name, "masked_bias") {
					return "", false
				}
				return strings.TrimPrefix(name, "transformer."), true
			}},
		},
		{
			name: "two names for one tensor",
			file: map[string][]int64{"wte.weight": {10, 4}, "x.wte.weight": {10, 4}},
			opts: LoadOptions{Rename: func(name string) (string, bool) { return strings.TrimPrefix(name, "x."), true }},
			want: `tensors "wte.weight" and "x.wte.weight" both map to wte.weight`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, file := writeFile(t, tt.file)
			store := newStore(t, model)
			before := values(t, mustVar(t, store, "ln.weight"))
			checkNoLeak(t, func() {
				rep, err := Load(path, store, tt.opts)
				if tt.want == "" {
					if err != nil {
						t.Fatal(err)
					}
					if len(rep.Loaded) != len(model) {
						t.Errorf("loaded %v, want all %d", rep.Loaded, len(model))
					}
					for name, x := range file {
						if tt.opts.Rename != nil {
							var ok bool
							if name, ok = tt.opts.Rename(name); !ok {
								continue
							}
						}
						sameBits(t, name, mustVar(t, store, name), x)
					}
					return
				}
				if err == nil || err.Error() != "load "+path+": "+tt.want {
					t.Fatalf("error %v\nwant  load %s: %s", err, path, tt.want)
				}
				if after := values(t, mustVar(t, store, "ln.weight")); !slices.Equal(after, before) {
					t.Errorf("a failed load changed ln.weight: %v → %v", before, after)
				}
			})
		})
	}
}

func mustVar(t *testing.T, store *nn.Store, name string) *tensor.Tensor {
	t.Helper()
	v, ok := store.Get(name)
	if !ok {
		t.Fatalf("store has no %s", name)
	}
	return v.T
}

func TestLoadPartial(t *testing.T) {
	model := map[string][]int64{"a": {2}, "b": {3}, "c": {4}}
	path, file := writeFile(t, map[string][]int64{"a": {2}, "b": {3}, "x": {1}})
	store := newStore(t, model)
	rep, err := Load(path, store, LoadOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		Path: path, Loaded: []string{"a", "b"},
		Missing: []Named{{"c", []int64{4}}}, Unexpected: []Named{{"x", []int64{1}}},
	}
	if !reflect.DeepEqual(rep, want) {
		t.Errorf("report %+v\nwant %+v", rep, want)
	}
	sameBits(t, "a", mustVar(t, store, "a"), file["a"])

	// Mis-shaped tensors fail even a partial load.
	store2 := newStore(t, map[string][]int64{"a": {3}})
	if _, err := Load(path, store2, LoadOptions{Partial: true}); err == nil || !strings.Contains(err.Error(), "1 mis-shaped (a: file [2], model [3])") {
		t.Errorf("error %v, want a mis-shaped error", err)
	}
}

// TestLoadTied covers both ways a model ties lm_head to wte: its own
// variable (filled from the source) or a shared one (no variable, so the
// file's copy is ignored).
func TestLoadTied(t *testing.T) {
	tied := map[string]string{"lm_head.weight": "wte.weight"}
	tests := []struct {
		name        string
		file, model map[string][]int64
		ignored     []string
	}{
		{"own variable", map[string][]int64{"wte.weight": {6, 2}}, map[string][]int64{"wte.weight": {6, 2}, "lm_head.weight": {6, 2}}, nil},
		{"shared variable", map[string][]int64{"wte.weight": {6, 2}, "lm_head.weight": {6, 2}}, map[string][]int64{"wte.weight": {6, 2}}, []string{"lm_head.weight"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, file := writeFile(t, tt.file)
			store := newStore(t, tt.model)
			if _, err := Load(path, store, LoadOptions{}); err == nil {
				t.Errorf("strict load without Tied succeeded")
			}
			rep, err := Load(path, store, LoadOptions{Tied: tied})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Ignored, tt.ignored) {
				t.Errorf("ignored %v, want %v", rep.Ignored, tt.ignored)
			}
			for name := range tt.model {
				sameBits(t, name, mustVar(t, store, name), file["wte.weight"])
			}
		})
	}
}

// TestLoadBuffers: a store buffer the file lacks is HF's non-persistent
// buffer, neither loaded nor missing; one the file has is loaded.
func TestLoadBuffers(t *testing.T) {
	path, file := writeFile(t, map[string][]int64{"w": {2}, "pos": {3}})
	for _, tt := range []struct {
		name  string
		model map[string][]int64
	}{
		{"absent from file", map[string][]int64{"w": {2}, "ids": {5}}},
		{"present in file", map[string][]int64{"w": {2}, "pos": {3}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore(t, tt.model, "ids", "pos")
			rep, err := Load(path, store, LoadOptions{Partial: tt.name == "absent from file"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Missing) != 0 {
				t.Errorf("missing %v, want none", rep.Missing)
			}
			if _, ok := tt.model["pos"]; ok {
				sameBits(t, "pos", mustVar(t, store, "pos"), file["pos"])
			}
		})
	}
}

// TestLoadFixtures loads the gpt2 checkpoint in its three layouts into a
// store shaped like it, strictly, and compares with model.safetensors.
func TestLoadFixtures(t *testing.T) {
	ref, err := ReadTensors(models+"gpt2", gotch.CPU)
	if err != nil {
		t.Skipf("fixtures: %v", err)
	}
	defer freeAll(ref)
	shapes := map[string][]int64{}
	for name, x := range ref {
		shapes[name] = shapeOf(t, x)
	}
	opts := LoadOptions{Tied: map[string]string{"lm_head.weight": "transformer.wte.weight"}}
	for _, dir := range []string{"gpt2", "gpt2-sharded", "gpt2-bin"} {
		t.Run(dir, func(t *testing.T) {
			store := newStore(t, shapes)
			checkNoLeak(t, func() {
				rep, err := Load(models+dir, store, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Loaded) != len(ref) {
					t.Errorf("loaded %d tensors, want %d", len(rep.Loaded), len(ref))
				}
			})
			for name, want := range ref {
				sameBits(t, name, mustVar(t, store, name), want)
			}
		})
	}
}
