package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ConfigFile is the Hugging Face config file name inside a model directory.
const ConfigFile = "config.json"

// header is the part of config.json every family shares: what picks the
// family (cybertron's commonconfig, transformers' AutoConfig).
type header struct {
	ModelType     string   `json:"model_type"`
	Architectures []string `json:"architectures"`
}

// archPrefixes maps HF class-name prefixes to model types, for configs
// written before model_type existed (longest prefix wins: MT5 before T5).
var archPrefixes = map[string]string{
	"GPT2": "gpt2", "Bert": "bert", "Roberta": "roberta", "XLMRoberta": "xlm-roberta", "T5": "t5", "MT5": "mt5",
}

// ReadConfig reads dir/config.json and returns its bytes and model type.
// The type is, in order: override (the --model-type flag), the file's
// model_type, or one guessed from its architectures (GPT2LMHeadModel →
// gpt2). A config with neither, such as the book's UniLM config, needs the
// override (--model-type bert).
func ReadConfig(dir, override string) (raw []byte, modelType string, err error) {
	return readConfigFile(filepath.Join(dir, ConfigFile), override)
}

func readConfigFile(path, override string) (raw []byte, modelType string, err error) {
	raw, err = os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	var h header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", path, err)
	}
	switch {
	case override != "":
		return raw, override, nil
	case h.ModelType != "":
		return raw, h.ModelType, nil
	}
	for _, arch := range h.Architectures {
		if t := typeOfArch(arch); t != "" {
			return raw, t, nil
		}
	}
	if len(h.Architectures) > 0 {
		return nil, "", fmt.Errorf("read %s: no model_type and unknown architectures %v: pass the model type explicitly (--model-type)", path, h.Architectures)
	}
	return nil, "", fmt.Errorf("read %s: no model_type and no architectures: pass the model type explicitly (--model-type; bert for UniLM)", path)
}

func typeOfArch(arch string) string {
	best := ""
	for prefix := range archPrefixes {
		if strings.HasPrefix(arch, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	return archPrefixes[best]
}

// NullKeys returns the top-level keys of a config.json whose value is
// null. encoding/json leaves a field's default in place for null, as for
// an absent key, but transformers keeps None, and its models test flags
// for truth: a null flag is false there (tie_word_embeddings null unties
// the head). The families read such keys with it.
func NullKeys(raw []byte) (map[string]bool, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	null := map[string]bool{}
	for k, v := range m {
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			null[k] = true
		}
	}
	return null, nil
}
