package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type boundCfg struct {
	MaxSteps int       `yaml:"max_steps"`
	LR       float64   `yaml:"learning_rate" alias:"lr"`
	Seed     int64     `yaml:"seed" min:"none"`
	Freeze   int       `yaml:"freeze_layers_except_top" min:"-1"`
	IDs      []int64   `yaml:"eos_token_id"`
	Pad      *int64    `yaml:"pad_token_id"`
	Scales   []float64 `yaml:"scales"`
}

// TestBounds: a negative, NaN or infinite number is refused where it is
// given — a flag naming the flag, a YAML file naming the file and key —
// unless the field's min tag allows it (issue 18: --max-steps -5 trained
// an epoch, --lr NaN failed late in JSON).
func TestBounds(t *testing.T) {
	tests := []struct {
		args []string
		yaml string
		want string // "" = accepted
	}{
		{args: []string{"--max-steps", "5", "--lr", "1e-3", "--seed", "-3", "--freeze-layers-except-top", "-1", "--pad-token-id", "none"}},
		{args: []string{"--max-steps", "-5"}, want: `"--max-steps" flag: -5, want ≥ 0`},
		{args: []string{"--lr", "-1e-3"}, want: `"--learning-rate" flag: -0.001, want ≥ 0`},
		{args: []string{"--lr", "NaN"}, want: `"--learning-rate" flag: "NaN" is not a finite number`},
		{args: []string{"--learning-rate", "inf"}, want: `"--learning-rate" flag: "inf" is not a finite number`},
		{args: []string{"--freeze-layers-except-top", "-2"}, want: `"--freeze-layers-except-top" flag: -2, want ≥ -1`},
		{args: []string{"--eos-token-id", "2,-1"}, want: `"--eos-token-id" flag: -1, want ≥ 0`},
		{args: []string{"--pad-token-id", "-1"}, want: `"--pad-token-id" flag: -1, want ≥ 0`},
		{args: []string{"--scales", "1,nan"}, want: `"--scales" flag: "nan" is not a finite number`},
		{yaml: "max_steps: 5\nseed: -1\nfreeze_layers_except_top: -1\n"},
		{yaml: "max_steps: -5\n", want: "c.yaml: max_steps: -5, want ≥ 0"},
		{yaml: "learning_rate: .nan\n", want: "c.yaml: learning_rate: NaN is not a finite number"},
		{yaml: "learning_rate: -.inf\n", want: "c.yaml: learning_rate: -Inf is not a finite number"},
		{yaml: "eos_token_id: [2, -7]\n", want: "c.yaml: eos_token_id: -7, want ≥ 0"},
		{yaml: "pad_token_id: -1\n", want: "c.yaml: pad_token_id: -1, want ≥ 0"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ") + tt.yaml
		t.Run(name, func(t *testing.T) {
			var c boundCfg
			var err error
			if tt.yaml != "" {
				path := filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				err = Read(path, &c)
			} else {
				fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
				if _, berr := Bind(fs, &c); berr != nil {
					t.Fatal(berr)
				}
				err = fs.Parse(tt.args)
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("%v, want it accepted", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("%v, want an error containing %q", err, tt.want)
			}
		})
	}
}
