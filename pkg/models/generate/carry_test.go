package generate

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCarryDefaults: a model directory's generation_config.json is copied
// byte for byte beside the saved model; a directory without one, a file
// and a fresh model ("") give nothing.
func TestCarryDefaults(t *testing.T) {
	root := t.TempDir()
	withFile, without := filepath.Join(root, "with"), filepath.Join(root, "without")
	text := []byte("{\n  \"temperature\": 0.7,\n  \"eos_token_id\": [3, 4]\n}\n")
	for _, d := range []string{withFile, without} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(withFile, GenerationConfigFile), text, 0o644); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(without, "model.safetensors")
	if err := os.WriteFile(weights, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from string
		want []byte // nil: no file written
	}{
		{withFile, text},
		{without, nil},
		{weights, nil},
		{"", nil},
	}
	for _, tc := range tests {
		to := t.TempDir()
		if err := CarryDefaults(tc.from, to); err != nil {
			t.Fatalf("from %q: %v", tc.from, err)
		}
		got, err := os.ReadFile(filepath.Join(to, GenerationConfigFile))
		switch {
		case tc.want == nil && !os.IsNotExist(err):
			t.Errorf("from %q: wrote %q (%v), want no file", tc.from, got, err)
		case tc.want != nil && string(got) != string(tc.want):
			t.Errorf("from %q: wrote %q (%v), want %q", tc.from, got, err, tc.want)
		}
		entries, _ := os.ReadDir(to)
		if len(entries) > 1 {
			t.Errorf("from %q: left %d files", tc.from, len(entries))
		}
	}
}
