package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadRefuses(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // after "<path>: "; "" for no error
	}{
		{"good", "learning_rate: 1e-4\nlr_scheduler_type: cosine\n", ""},
		{"empty choice", "lr_scheduler_type: \"\"\n", ""},
		{"nan", "learning_rate: .nan\n", "learning_rate: NaN is not a finite number"},
		{"inf", "max_grad_norm: .inf\n", "max_grad_norm: +Inf is not a finite number"},
		{"bad choice", "lr_scheduler_type: cosin\n", `lr_scheduler_type: choice "cosin": want linear or cosine`},
		{"unknown key", "foo: 1\n", "field foo not found"},
		// a flag alias used as a key names the key
		{"alias as key", "seed: 1\nlr: 1\n", "line 2: lr: not a key; the key is learning_rate (--lr is a flag alias of --learning-rate)"},
		// a TRL or transformers setting gotrl does not have says why
		{"trl key", "packing: true\n", "line 1: packing: not supported: every example is its own sequence"},
		{"hf key", "seed: 1\nlr_scheduler_kwargs: {num_cycles: 2}\n", "line 2: lr_scheduler_kwargs: not supported"},
		{"hf key, null", "label_smoothing_factor:\n", "label_smoothing_factor: not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := fuzzDefaults()
			err := Read(path, &cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Read: %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Read error %v, want %q after the path", err, tt.want)
			}
		})
	}
}
