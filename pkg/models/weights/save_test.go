package weights

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/gotrl/gotrl/internal/tensor"
	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

type testConfig struct {
	ModelType string `json:"model_type"`
	NEmbd     int    `json:"n_embd"`
}

func TestSaveRoundTrip(t *testing.T) {
	shapes := map[string][]int64{"wte.weight": {7, 3}, "lm_head.weight": {7, 3}, "h.0.bias": {3}, "pos_ids": {1, 5}}
	tied := map[string]string{"lm_head.weight": "wte.weight"}
	tests := []struct {
		name  string
		dtype safetensors.DType
		exact bool // values survive bit for bit
	}{
		{"float32", "", true},
		{"float16", safetensors.F16, false},
		{"bfloat16", safetensors.BF16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			src := newStore(t, shapes, "pos_ids")
			cfg := testConfig{ModelType: "gpt2", NEmbd: 3}
			checkNoLeak(t, func() {
				if err := Save(dir, src, cfg, SaveOptions{DType: tt.dtype, Tied: tied}); err != nil {
					t.Fatal(err)
				}
			})
			var back testConfig
			if raw, err := os.ReadFile(filepath.Join(dir, ConfigFile)); err != nil || json.Unmarshal(raw, &back) != nil || back != cfg {
				t.Errorf("config.json = %+v (%v), want %+v", back, err, cfg)
			}
			f, err := safetensors.Open(filepath.Join(dir, SafetensorsFile))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var names []string
			for _, in := range f.Infos() {
				names = append(names, in.Name)
				if want := tt.dtype; want != "" && in.DType != want || want == "" && in.DType != safetensors.F32 {
					t.Errorf("%s saved as %s", in.Name, in.DType)
				}
			}
			// No buffer, no tied duplicate: what save_pretrained writes.
			if want := []string{"h.0.bias", "wte.weight"}; !slices.Equal(names, want) {
				t.Errorf("saved %v, want %v", names, want)
			}
			if f.Metadata["format"] != "pt" {
				t.Errorf("metadata %v, want format pt", f.Metadata)
			}
			dst := newStore(t, shapes, "pos_ids")
			if _, err := Load(dir, dst, LoadOptions{Tied: tied}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"wte.weight", "h.0.bias"} {
				got, want := values(t, mustVar(t, dst, name)), values(t, mustVar(t, src, name))
				for i := range want {
					if d := got[i] - want[i]; tt.exact && d != 0 || d*d > 1e-4*(want[i]*want[i]+1e-6) {
						t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want[i])
					}
				}
			}
			sameBits(t, "lm_head.weight", mustVar(t, dst, "lm_head.weight"), mustVar(t, dst, "wte.weight"))
		})
	}
}

func TestSaveTensorsKeepsTypes(t *testing.T) {
	ref, err := ReadTensors(models+"gpt2/expected.safetensors", gotch.CPU)
	if err != nil {
		t.Skipf("fixtures: %v", err)
	}
	defer freeAll(ref)
	path := filepath.Join(t.TempDir(), "x.safetensors")
	checkNoLeak(t, func() {
		if err := SaveTensors(path, ref); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTensors(path, gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		defer freeAll(back)
		for name, want := range ref {
			if back[name].DType() != want.DType() {
				t.Errorf("%s: dtype %v, want %v", name, back[name].DType(), want.DType())
			}
			sameBits(t, name, back[name], want)
		}
	})
}

func TestSaveErrors(t *testing.T) {
	store := newStore(t, map[string][]int64{"a": {2}})
	dir := t.TempDir()
	if err := Save(dir, store, nil, SaveOptions{DType: safetensors.I64}); err == nil || !strings.Contains(err.Error(), "not a floating-point type") {
		t.Errorf("Save as I64: error %v", err)
	}
	if err := Save(dir, store, func() {}, SaveOptions{}); err == nil || !strings.Contains(err.Error(), "config") {
		t.Errorf("Save of an unencodable config: error %v", err)
	}
	rename := func(string) (string, bool) { return "x", true }
	two := newStore(t, map[string][]int64{"a": {2}, "b": {2}})
	if err := Save(dir, two, nil, SaveOptions{Rename: rename}); err == nil || !strings.Contains(err.Error(), `tensor "x" appears twice`) {
		t.Errorf("Save with colliding names: error %v", err)
	}
}

// TestTensorsAllTypes round-trips every element type, a scalar and an
// empty tensor through SaveTensors and ReadTensors.
func TestTensorsAllTypes(t *testing.T) {
	vals := []float32{0.5, -1.25, 3, 0, 7.75, -2}
	tests := []struct {
		name  string
		kind  gotch.DType
		shape []int64
	}{
		{"f64", gotch.Double, []int64{2, 3}},
		{"f32 scalar", gotch.Float, []int64{}},
		{"f16", gotch.Half, []int64{6}},
		{"bf16", gotch.BFloat16, []int64{3, 2}},
		{"i64", gotch.Int64, []int64{1, 6}},
		{"i32", gotch.Int, []int64{6}},
		{"i16", gotch.Int16, []int64{6}},
		{"i8", gotch.Int8, []int64{6}},
		{"u8", gotch.Uint8, []int64{2, 3}},
		{"bool", gotch.Bool, []int64{6}},
		{"empty", gotch.Float, []int64{0, 4}},
	}
	path := filepath.Join(t.TempDir(), "all.safetensors")
	checkNoLeak(t, func() {
		s := tensor.NewScope()
		defer s.Close()
		in := map[string]*tensor.Tensor{}
		err := tensor.Catch(func() {
			for _, tt := range tests {
				n, _ := safetensors.Numel(tt.shape)
				var x *tensor.Tensor
				if len(tt.shape) == 0 { // FromFloat32s cannot reshape to []: it panics in gotch
					x = s.T(s.T(tensor.FromFloat32s(vals[:1], []int64{1}, gotch.CPU)).Squeeze(false))
				} else {
					x = s.T(tensor.FromFloat32s(vals[:n], tt.shape, gotch.CPU))
				}
				in[tt.name] = s.T(x.Totype(tt.kind, false))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := SaveTensors(path, in); err != nil {
			t.Fatal(err)
		}
		out, err := ReadTensors(path, gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		defer freeAll(out)
		for _, tt := range tests {
			got := out[tt.name]
			if got == nil || got.DType() != tt.kind {
				t.Errorf("%s: read back %v, want dtype %v", tt.name, got, tt.kind)
				continue
			}
			sameBits(t, tt.name, got, in[tt.name])
		}
	})
}
