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
		{"unknown key", "lr: 1\n", "field lr not found"},
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
