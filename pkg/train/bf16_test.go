package train

import (
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"gopkg.in/yaml.v3"

	"github.com/gotrl/gotrl/internal/tensor"
)

func TestBF16ModeValidateAndResolve(t *testing.T) {
	cpuFeature, cpuOff := tensor.CPUBF16()
	cpuOn := cpuFeature != ""
	tests := []struct {
		mode    BF16Mode
		wantErr bool
		on      bool
		why     string
	}{
		{BF16On, false, true, "on (--bf16 true)"},
		{BF16Off, false, false, "off (--bf16 false)"},
		{BF16Auto, false, cpuOn, map[bool]string{true: "on (CPU has ", false: "off (" + cpuOff + ")"}[cpuOn]},
		{"yes", true, false, ""},
		{"", true, false, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			err := tt.mode.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate(%q) = %v", tt.mode, err)
			}
			var m BF16Mode
			if serr := m.Set(string(tt.mode)); (serr != nil) != tt.wantErr {
				t.Fatalf("Set(%q) = %v", tt.mode, serr)
			}
			if tt.wantErr {
				if !strings.Contains(err.Error(), "want auto, true or false") {
					t.Fatalf("error %q does not list the choices", err)
				}
				return
			}
			on, why := tt.mode.Resolve(gotch.CPU)
			if on != tt.on || !strings.HasPrefix(why, tt.why) {
				t.Fatalf("Resolve = %v %q, want %v %q…", on, why, tt.on, tt.why)
			}
		})
	}
}

// TestBF16ConfigYAML: configs written before bf16 took auto (bf16: false /
// true) still load, the default is auto, and a bad value is an error
// naming the field.
func TestBF16ConfigYAML(t *testing.T) {
	tests := []struct {
		yaml string
		want BF16Mode
		err  string
	}{
		{"bf16: false\n", BF16Off, ""},
		{"bf16: true\n", BF16On, ""},
		{"bf16: auto\n", BF16Auto, ""},
		{"seed: 1\n", BF16Auto, ""},
		{"bf16: maybe\n", "", `bf16 "maybe"`},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		c.OutputDir = "x"
		if err := yaml.Unmarshal([]byte(tt.yaml), &c); err != nil {
			t.Fatal(err)
		}
		err := c.Validate()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: Validate error %v, want %q", tt.yaml, err, tt.err)
			}
			continue
		}
		if err != nil || c.BF16 != tt.want {
			t.Errorf("%q: bf16 %q, error %v; want %q", tt.yaml, c.BF16, err, tt.want)
		}
		out, _ := yaml.Marshal(c)
		var back Config
		if err := yaml.Unmarshal(out, &back); err != nil || back.BF16 != c.BF16 {
			t.Errorf("round trip of %q: %q, %v", c.BF16, back.BF16, err)
		}
	}
}
