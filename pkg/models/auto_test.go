package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/models/nn"
)

// fake is a registered family that records what Load passed it.
type fake struct {
	dir, modelType string
	config         []byte
}

func (f *fake) Store() *nn.Store { return nil }
func (f *fake) Config() any      { return f.config }
func (f *fake) Close()           {}

func init() {
	for _, t := range []string{"gpt2", "bert"} {
		Register(t, func(dir string, config []byte, opts Options) (Model, error) {
			return &fake{dir: dir, modelType: opts.ModelType, config: config}, nil
		})
	}
}

func writeConfig(t *testing.T, json string) string {
	t.Helper()
	dir := t.TempDir()
	if json != "" {
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(json), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		config   string // "" = no config.json
		override string
		want     string // model type handed to the loader, or an error fragment
		wantErr  bool
	}{
		{"model_type", `{"model_type": "gpt2", "n_embd": 32}`, "", "gpt2", false},
		{"architectures only", `{"architectures": ["BertForMaskedLM"]}`, "", "bert", false},
		{"override wins", `{"model_type": "gpt2"}`, "bert", "bert", false},
		{"unilm needs override", `{"type_vocab_size": 6}`, "bert", "bert", false},
		{"no type", `{"type_vocab_size": 6}`, "", "no model_type and no architectures: pass the model type explicitly", true},
		{"unknown architecture", `{"architectures": ["LlamaForCausalLM"]}`, "", `unknown architectures [LlamaForCausalLM]`, true},
		{"unknown model_type", `{"model_type": "llama"}`, "", `model_type "llama" is not supported (supported: bert, gpt2)`, true},
		{"mt5 not registered", `{"architectures": ["MT5ForConditionalGeneration"]}`, "", `model_type "mt5" is not supported`, true},
		{"bad json", `{"model_type": `, "", ConfigFile + ": unexpected end of JSON input", true},
		{"missing config", "", "", ConfigFile + ": no such file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, tt.config)
			m, err := Load(dir, Options{ModelType: tt.override})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("error %v, want one naming %s and containing %q", err, dir, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := m.(*fake)
			if f.modelType != tt.want || f.dir != dir || string(f.config) != tt.config {
				t.Errorf("loader got (%q, %q, %s), want (%q, %q, the file)", f.dir, f.modelType, f.config, dir, tt.want)
			}
		})
	}
}

func TestArchPrefix(t *testing.T) {
	for arch, want := range map[string]string{
		"GPT2LMHeadModel": "gpt2", "BertForPreTraining": "bert",
		"T5ForConditionalGeneration": "t5", "MT5ForConditionalGeneration": "mt5", "Llama": "",
	} {
		if got := typeOfArch(arch); got != want {
			t.Errorf("typeOfArch(%s) = %q, want %q", arch, got, want)
		}
	}
}

func TestSharedConfigs(t *testing.T) {
	tests := []struct{ file, override, want string }{
		{"gpt2-chinese-config.json", "", "gpt2"},
		{"bert-chinese-config.json", "", "bert"},
		{"unilm-chinese-config.json", "bert", "bert"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("../../../shared/configs", tt.file))
			if err != nil {
				t.Skipf("../shared: %v", err)
			}
			dir := writeConfig(t, string(raw))
			if _, got, err := ReadConfig(dir, tt.override); err != nil || got != tt.want {
				t.Errorf("ReadConfig = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
