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

func (f *fake) Store() *nn.Store  { return nil }
func (f *fake) Config() any       { return f.config }
func (f *fake) Close()            {}
func (f *fake) Save(string) error { return nil }

// The fake family registers as "fake" (the real families register
// themselves in the external test, families_test.go).
func init() {
	Register("fake", func(dir string, config []byte, opts Options) (Model, error) {
		return &fake{dir: dir, modelType: opts.ModelType, config: config}, nil
	})
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

func TestReadConfig(t *testing.T) {
	tests := []struct {
		name     string
		config   string // "" = no config.json
		override string
		want     string // the model type, or an error fragment
		wantErr  bool
	}{
		{"model_type", `{"model_type": "gpt2", "n_embd": 32}`, "", "gpt2", false},
		{"architectures only", `{"architectures": ["BertForMaskedLM"]}`, "", "bert", false},
		{"override wins", `{"model_type": "gpt2"}`, "bert", "bert", false},
		{"unilm needs override", `{"type_vocab_size": 6}`, "bert", "bert", false},
		{"no type", `{"type_vocab_size": 6}`, "", "no model_type and no architectures: pass the model type explicitly", true},
		{"unknown architecture", `{"architectures": ["LlamaForCausalLM"]}`, "", `unknown architectures [LlamaForCausalLM]`, true},
		{"bad json", `{"model_type": `, "", ConfigFile + ": unexpected end of JSON input", true},
		{"missing config", "", "", ConfigFile + ": no such file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, tt.config)
			raw, got, err := ReadConfig(dir, tt.override)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("error %v, want one naming %s and containing %q", err, dir, tt.want)
				}
				return
			}
			if err != nil || got != tt.want || string(raw) != tt.config {
				t.Errorf("ReadConfig = %q, %q, %v; want %q and the file", raw, got, err, tt.want)
			}
		})
	}
}

func TestLoadDispatch(t *testing.T) {
	dir := writeConfig(t, `{"model_type": "fake", "n": 1}`)
	m, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f := m.(*fake); f.dir != dir || f.modelType != "fake" || string(f.config) != `{"model_type": "fake", "n": 1}` {
		t.Errorf("loader got (%q, %q, %s)", f.dir, f.modelType, f.config)
	}
	// The override reaches the loader too.
	dir = writeConfig(t, `{"n": 1}`)
	if m, err := Load(dir, Options{ModelType: "fake"}); err != nil || m.(*fake).modelType != "fake" {
		t.Errorf("Load with override: %v", err)
	}
	dir = writeConfig(t, `{"model_type": "llama"}`)
	_, err = Load(dir, Options{})
	if want := `load ` + dir + `: model_type "llama" is not supported (supported: `; err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "fake") {
		t.Errorf("error %v, want %q… listing fake", err, want)
	}
}

func TestArchPrefix(t *testing.T) {
	for arch, want := range map[string]string{
		"GPT2LMHeadModel": "gpt2", "BertForPreTraining": "bert", "RobertaForMaskedLM": "roberta", "XLMRobertaModel": "xlm-roberta",
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
