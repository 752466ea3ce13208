package weights

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
)

// TestReadFixtures reads the gpt2 weights in their three layouts and checks
// they agree bit for bit with model.safetensors (make_models.py writes the
// same state dict to each), plus the other families' files.
func TestReadFixtures(t *testing.T) {
	ref, err := ReadTensors(models+"gpt2", gotch.CPU)
	if err != nil {
		t.Skipf("fixtures: %v", err)
	}
	defer freeAll(ref)
	tests := []struct {
		dir   string
		extra []string // tensors beyond gpt2's
		check map[string][]int64
	}{
		{dir: "gpt2", check: map[string][]int64{"transformer.wte.weight": {512, 32}, "transformer.h.1.attn.c_attn.weight": {32, 96}}},
		{dir: "gpt2-sharded"},
		{dir: "gpt2-bin", extra: []string{"lm_head.weight"}},
		{dir: "bert", check: map[string][]int64{"bert.embeddings.word_embeddings.weight": {512, 32}, "cls.seq_relationship.weight": {2, 32}}},
		{dir: "t5", check: map[string][]int64{"shared.weight": {512, 32}}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			checkNoLeak(t, func() {
				got, err := ReadTensors(models+tt.dir, gotch.CPU)
				if err != nil {
					t.Fatal(err)
				}
				defer freeAll(got)
				for name, shape := range tt.check {
					if x, ok := got[name]; !ok || !slices.Equal(shapeOf(t, x), shape) {
						t.Errorf("%s: missing or not %v", name, shape)
					}
				}
				if !strings.HasPrefix(tt.dir, "gpt2") {
					return
				}
				if len(got) != len(ref)+len(tt.extra) {
					t.Errorf("%d tensors, want %d", len(got), len(ref)+len(tt.extra))
				}
				for name, want := range ref {
					if x, ok := got[name]; !ok {
						t.Errorf("%s missing", name)
					} else {
						sameBits(t, name, x, want)
					}
				}
				if x, ok := got["lm_head.weight"]; ok { // the .bin's tied copy
					sameBits(t, "lm_head.weight", x, ref["transformer.wte.weight"])
				}
			})
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shard, err := os.ReadFile(models + "gpt2-sharded/model-00001-of-00002.safetensors")
	if err != nil {
		t.Skipf("fixtures: %v", err)
	}
	write("shards/a.safetensors", string(shard))
	tests := []struct {
		name, path, want string
	}{
		{"empty dir", filepath.Dir(write("none/x.txt", "")), "has none of model.safetensors"},
		{"no such dir", filepath.Join(dir, "nope"), "no such file"},
		{"index not json", write("i1/model.safetensors.index.json", "{"), "model.safetensors.index.json: unexpected end"},
		{"index no map", write("i2/model.safetensors.index.json", `{"metadata": {}}`), "no weight_map"},
		{"index escapes dir", write("i3/model.safetensors.index.json", `{"weight_map": {"a": "../x.safetensors"}}`), `tensor "a": shard "../x.safetensors" must be a file name`},
		{"index missing shard", write("i4/model.safetensors.index.json", `{"weight_map": {"a": "s.safetensors"}}`), "s.safetensors: no such file"},
		{"index wrong shard", write("shards/model.safetensors.index.json", `{"weight_map": {"transformer.wte.weight": "a.safetensors", "lm_head.weight": "a.safetensors"}}`), "lm_head.weight (not in a.safetensors)"},
		{"bin not zip", write("b1/pytorch_model.bin", "hello"), "not a torch zip archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck, err := Open(tt.path)
			if err == nil {
				ck.Close()
				t.Fatalf("Open(%s) succeeded, want %q", tt.path, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

// TestOpenPrefers checks the lookup order of from_pretrained:
// model.safetensors before pytorch_model.bin.
func TestOpenPrefers(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"gpt2/model.safetensors", "gpt2-bin/pytorch_model.bin"} {
		b, err := os.ReadFile(models + f)
		if err != nil {
			t.Skipf("fixtures: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ck, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if filepath.Base(ck.Path) != SafetensorsFile {
		t.Errorf("opened %s, want %s", ck.Path, SafetensorsFile)
	}
}
