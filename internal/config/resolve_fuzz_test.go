package config

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/pflag"
)

// fuzzChoice is a choice type, as train.SchedulerType is.
type fuzzChoice string

func (c fuzzChoice) Validate() error {
	switch c {
	case "linear", "cosine":
		return nil
	}
	return fmt.Errorf("choice %q: want linear or cosine", string(c))
}

// FuzzSection is inlined into fuzzConfig, as commands inline train.Config.
type FuzzSection struct {
	Steps int      `yaml:"max_steps" min:"-1"`
	LR    float64  `yaml:"learning_rate" alias:"lr"`
	Norm  *float64 `yaml:"max_grad_norm"`
	Every *int64   `yaml:"eval_steps"`
}

// fuzzConfig has a field of every kind Bind supports.
type fuzzConfig struct {
	FuzzSection `yaml:",inline"`
	Name        string     `yaml:"run_name" short:"n"`
	BF16        bool       `yaml:"bf16"`
	Seed        int64      `yaml:"seed" min:"none"`
	Files       []string   `yaml:"train_file"`
	Betas       []float64  `yaml:"betas"`
	IDs         []int      `yaml:"eos_ids"`
	Sched       fuzzChoice `yaml:"lr_scheduler_type"`
	Derived     string     `yaml:"derived" flag:"-"`
}

func fuzzDefaults() fuzzConfig {
	return fuzzConfig{FuzzSection: FuzzSection{Steps: -1, LR: 5e-5}, Name: "run", Seed: 42,
		Betas: []float64{0.9, 0.999}, Sched: "linear"}
}

// FuzzResolve checks config resolution on an arbitrary YAML file and
// command line: no panic; an error names the flag or the file (and the
// key when the file is at fault); and a resolved config has only finite
// numbers and valid choices, keeps every flag given on the command line
// over the file, and survives Write and Read unchanged (what a resumed
// run relies on).
func FuzzResolve(f *testing.F) {
	for _, s := range []struct{ yaml, args string }{
		{"learning_rate: 1e-4\nmax_steps: 10\n", "--lr 3e-4"},
		{"lr_scheduler_type: cosine\ntrain_file: [a.jsonl, b.jsonl]\nbetas: [0.8, 0.9]\n", "--train-file c.jsonl --train-file d.jsonl"},
		{"lr_scheduler_type: cosin\n", ""},
		{"learning_rate: .nan\n", ""},
		{"learning_rate: .inf\nmax_grad_norm: -.inf\n", ""},
		{"max_grad_norm: 1.0\neval_steps: 5\n", "--max-grad-norm none --eval-steps 7"},
		{"train_file: one.jsonl\n", "-n x --bf16"},
		{"unknown: 1\n", ""},
		{"max_steps: [1]\n", ""},
		{"eos_ids: [1, 2]\n", "--eos-ids 3,4"},
		{"derived: x\nrun_name: \"\\xff\"\n", "--seed -1"},
		{"", "--lr NaN"}, {"", "--betas 1,inf"}, {"{", ""}, {"- 1\n", ""},
	} {
		f.Add([]byte(s.yaml), s.args)
	}
	path := filepath.Join(f.TempDir(), "config.yaml") // one file per worker: inputs run one at a time
	f.Fuzz(func(t *testing.T, file []byte, args string) {
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := fuzzDefaults()
		fs := pflag.NewFlagSet("fuzz", pflag.ContinueOnError)
		fs.SetOutput(discard{})
		if _, err := Bind(fs, &cfg); err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(strings.Fields(args)); err != nil {
			return // pflag's own error, printed by cobra with the flag
		}
		given := map[string]string{} // flag → value as the command line left it
		fs.Visit(func(fl *pflag.Flag) { given[fl.Name] = fl.Value.String() })
		err := Resolve(fs, &cfg, func() { cfg = fuzzDefaults() }, []string{path}, []string{"--config"})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--") {
				t.Fatalf("error %q names no flag", err)
			}
			if strings.HasPrefix(err.Error(), "--config: ") && !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := Check(&cfg); err != nil {
			t.Fatalf("resolved config: %v", err)
		}
		for _, x := range cfg.Betas {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("betas: %v resolved", cfg.Betas)
			}
		}
		for name, want := range given {
			if got := fs.Lookup(name).Value.String(); got != want {
				t.Fatalf("--%s %s on the command line, %s after the file", name, want, got)
			}
		}
		out := filepath.Join(filepath.Dir(path), "written.yaml")
		if err := Write(out, &cfg); err != nil {
			t.Fatalf("Write: %v", err)
		}
		back := fuzzDefaults()
		if err := Read(out, &back); err != nil {
			if !utf8.ValidString(cfg.Name) || !utf8.ValidString(strings.Join(cfg.Files, "")) || !utf8.ValidString(cfg.Derived) {
				return // YAML holds only UTF-8 text
			}
			b, _ := os.ReadFile(out)
			t.Fatalf("written config does not read back: %v\n%s", err, b)
		}
		if d := Diff(&cfg, &back); len(d) > 0 {
			b, _ := os.ReadFile(out)
			t.Fatalf("written config reads back different: %q\n%s", d, b)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
