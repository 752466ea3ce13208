package lora

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// TaskType is PEFT's task_type: the model class the adapter was trained
// on, hence the head gotrl builds before applying it.
type TaskType string

// The task types gotrl builds a head for ("" is PEFT's null: the caller
// picks the model class).
const (
	TaskCausalLM  TaskType = "CAUSAL_LM"
	TaskSeq2SeqLM TaskType = "SEQ_2_SEQ_LM"
	TaskSeqCls    TaskType = "SEQ_CLS"
)

func (t TaskType) validate() error {
	switch t {
	case "", TaskCausalLM, TaskSeq2SeqLM, TaskSeqCls:
		return nil
	}
	return fmt.Errorf("task_type %q: gotrl builds %s, %s or %s models only", t, TaskCausalLM, TaskSeq2SeqLM, TaskSeqCls)
}

// Bias is PEFT's bias option: which base biases the adapter trains and
// saves.
type Bias string

const (
	BiasNone Bias = "none"
	// BiasAll trains every parameter whose name contains "bias" and
	// saves them in the adapter file (bias.go).
	BiasAll Bias = "all"
	// BiasLoRAOnly trains the adapted modules' biases, but peft 0.13.2
	// saves none of them (it looks them up without the base_layer of the
	// wrapped module): a loaded adapter computes as with "none".
	BiasLoRAOnly Bias = "lora_only"
)

func (b Bias) validate() error {
	switch b {
	case "", BiasNone, BiasAll, BiasLoRAOnly:
		return nil
	}
	return fmt.Errorf("bias %q: want \"none\", \"all\" or \"lora_only\"", b)
}

// knownKeys are the fields of peft 0.13.2's LoraConfig (PeftConfig's
// included). PeftConfig.from_pretrained passes every key of the file to
// LoraConfig(**kwargs), so an unknown key fails there (a TypeError);
// runtime_config alone is dropped first, with a warning.
var knownKeys = []string{
	"alpha_pattern", "auto_mapping", "base_model_name_or_path", "bias", "fan_in_fan_out", "inference_mode",
	"init_lora_weights", "layer_replication", "layers_pattern", "layers_to_transform", "loftq_config", "lora_alpha",
	"lora_dropout", "megatron_config", "megatron_core", "modules_to_save", "peft_type", "r", "rank_pattern",
	"revision", "runtime_config", "target_modules", "task_type", "use_dora", "use_rslora",
}

// laterKeys are the fields later peft releases (up to 0.21.2) added to
// LoraConfig and PeftConfig, each with its default. A file written by a
// later peft carries them all, mostly at those defaults, which compute
// what 0.13.2 computes: such a file loads. A field set otherwise turns on
// something gotrl does not compute and is refused by name. peft_version
// and qalora_group_size (read only under use_qalora) are never refused.
var laterKeys = map[string]string{
	"exclude_modules": "null", "trainable_token_indices": "null", "eva_config": "null", "corda_config": "null",
	"lora_ga_config": "null", "velora_config": "null", "alora_invocation_tokens": "null", "use_qalora": "false",
	"monteclora_config": "null", "lora_bias": "false", "target_parameters": "null", "use_bdlora": "null",
	"arrow_config": "null", "kasa_config": "null", "ensure_weight_tying": "false",
	"peft_version": "", "qalora_group_size": "",
}

// fileConfig is adapter_config.json: Config, the JSON forms of its
// options that PEFT writes in more than one shape, and the keys gotrl
// refuses when set (check) or that do not change what the loaded model
// computes (accepted, not kept: docs/peft-adapters.md lists them).
type fileConfig struct {
	PeftType string `json:"peft_type"`
	Config
	// These shadow Config's fields of the same JSON name.
	Targets           targetModules `json:"target_modules"`
	LayersToTransform intList       `json:"layers_to_transform,omitempty"`
	LayersPattern     stringList    `json:"layers_pattern,omitempty"`
	RankPattern       Pattern       `json:"rank_pattern,omitempty"`
	AlphaPattern      Pattern       `json:"alpha_pattern,omitempty"`
	UseRSLoRA         bool          `json:"use_rslora"`

	Bias          Bias `json:"bias"`
	FanInFanOut   bool `json:"fan_in_fan_out"`
	InferenceMode bool `json:"inference_mode"`
	UseDoRA       bool `json:"use_dora"`
	// Read to be refused when set; gotrl never writes them.
	InitLoraWeights  json.RawMessage `json:"init_lora_weights,omitempty"`
	LayerReplication json.RawMessage `json:"layer_replication,omitempty"`
	MegatronConfig   json.RawMessage `json:"megatron_config,omitempty"`
}

// targetModules is target_modules: a list of name suffixes, or one string
// (a full-match regex, or "all-linear"), or null (PEFT's default for the
// model type).
type targetModules struct {
	list  []string
	regex string
}

func (t *targetModules) UnmarshalJSON(data []byte) error {
	*t = targetModules{}
	if isNull(data) {
		return nil
	}
	if err := json.Unmarshal(data, &t.regex); err == nil {
		if t.regex == "" {
			return fmt.Errorf("an empty string matches no module")
		}
		return nil
	}
	if err := json.Unmarshal(data, &t.list); err != nil {
		return fmt.Errorf("want a list of module names, a regex string or null, got %s", data)
	}
	return nil
}

func (t targetModules) MarshalJSON() ([]byte, error) {
	if t.regex != "" {
		return json.Marshal(t.regex)
	}
	return json.Marshal(t.list)
}

// intList is layers_to_transform: an int or a list of ints.
type intList []int

func (l *intList) UnmarshalJSON(data []byte) error {
	*l = nil
	if isNull(data) {
		return nil
	}
	var one int
	if err := json.Unmarshal(data, &one); err == nil {
		*l = intList{one}
		return nil
	}
	return json.Unmarshal(data, (*[]int)(l))
}

// stringList is layers_pattern: a string or a list of strings; PEFT
// treats "" as unset.
type stringList []string

func (l *stringList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*l = nil
		if one != "" {
			*l = stringList{one}
		}
		return nil
	}
	return json.Unmarshal(data, (*[]string)(l))
}

// isNull reports whether data is JSON's null (which json.Unmarshal
// into a string or int silently skips).
func isNull(data []byte) bool { return string(bytes.TrimSpace(data)) == "null" }

// isSet reports whether an optional JSON value is present and not null,
// false or empty.
func isSet(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", "false", "[]", "{}":
		return false
	}
	return true
}

// check refuses the PEFT options gotrl does not compute as PEFT does.
func (fc fileConfig) check() error {
	switch {
	case fc.PeftType != "LORA":
		return fmt.Errorf("peft_type %q, want \"LORA\"", fc.PeftType)
	case fc.UseDoRA:
		return fmt.Errorf("use_dora: DoRA (a learned magnitude per output) is not supported")
	case isSet(fc.LayerReplication):
		return fmt.Errorf("layer_replication %s: models with replicated layers are not supported", fc.LayerReplication)
	case isSet(fc.MegatronConfig):
		return fmt.Errorf("megatron_config: adapters for Megatron's parallel layers are not supported")
	}
	if err := fc.Bias.validate(); err != nil {
		return err
	}
	if err := fc.TaskType.validate(); err != nil {
		return err
	}
	if isSet(fc.InitLoraWeights) && string(fc.InitLoraWeights) != "true" {
		var init string
		if err := json.Unmarshal(fc.InitLoraWeights, &init); err != nil {
			return fmt.Errorf("init_lora_weights %s: want true, false or a method name", fc.InitLoraWeights)
		}
		// PiSSA, OLoRA and LoftQ rewrite the base weights when peft
		// builds the adapter, loading included: the adapter is meant for
		// those weights, not the base model's.
		if init != "gaussian" {
			return fmt.Errorf("init_lora_weights %q: peft rewrites the base weights for it when loading; "+
				"save the adapter as plain LoRA (save_pretrained's path_initial_model_for_weight_conversion)", init)
		}
	}
	c := fc.config()
	if c.Bias == BiasAll && len(c.ModulesToSave) > 0 {
		// PEFT saves the biases of modules_to_save under the wrapper's
		// names; gotrl does not map them.
		return fmt.Errorf("bias %q with modules_to_save %v (task_type %s adds score and classifier) is not supported", c.Bias, c.ModulesToSave, c.TaskType)
	}
	if len(c.Targets) == 0 && c.TargetRegex == "" {
		c.Targets = []string{"default"} // PEFT's default for the model type, filled in by the loader
	}
	return c.Validate()
}

// config is the Config the file describes.
func (fc fileConfig) config() Config {
	c := fc.Config
	c.Targets, c.TargetRegex = fc.Targets.list, fc.Targets.regex
	c.LayersToTransform, c.LayersPattern = fc.LayersToTransform, fc.LayersPattern
	c.RankPattern, c.AlphaPattern, c.RSLoRA = fc.RankPattern, fc.AlphaPattern, fc.UseRSLoRA
	c.Bias = fc.Bias
	if c.TaskType == TaskSeqCls {
		// PeftModelForSequenceClassification adds the classifier heads.
		for _, h := range seqClsHeads {
			if !slices.Contains(c.ModulesToSave, h) {
				c.ModulesToSave = append(c.ModulesToSave, h)
			}
		}
	}
	return c
}

// newFileConfig is what Save writes for c.
func newFileConfig(c Config, fanInFanOut bool) fileConfig {
	if c.Bias == "" {
		c.Bias = BiasNone
	}
	return fileConfig{
		PeftType: "LORA", Config: c, Bias: c.Bias, InferenceMode: true, FanInFanOut: fanInFanOut,
		Targets:           targetModules{list: c.Targets, regex: c.TargetRegex},
		LayersToTransform: c.LayersToTransform, LayersPattern: c.LayersPattern,
		RankPattern: c.RankPattern, AlphaPattern: c.AlphaPattern, UseRSLoRA: c.RSLoRA,
	}
}

// decode reads adapter_config.json into fc one key at a time, so that an
// error names its field, after refusing the keys LoraConfig has no field
// for.
func decode(data []byte, fc *fileConfig) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	var unknown []string
	for k, v := range fields {
		if dflt, later := laterKeys[k]; later {
			if dflt != "" && isSet(v) {
				return fmt.Errorf("%s %s: an option of a later peft than 0.13.2 that gotrl does not compute (it loads only at its default, %s)", k, v, dflt)
			}
			delete(fields, k)
		} else if !slices.Contains(knownKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown key %s: no LoraConfig of peft up to 0.21.2 has such a field", strings.Join(unknown, ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		one, err := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if err != nil {
			return err
		}
		if err := json.Unmarshal(one, fc); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return fmt.Errorf("%s: %s is not a valid %s", k, fields[k], te.Type)
			}
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// ReadConfig reads dir/adapter_config.json and refuses, naming the file
// and the field, every option gotrl would not compute as peft 0.13.2
// does. A null target_modules comes back empty: the loader fills in
// PEFT's default for the base model's type (DefaultTargets).
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("lora: %w", err)
	}
	// Another PEFT method has keys of its own: name the method first.
	var kind struct {
		PeftType string `json:"peft_type"`
	}
	if err := json.Unmarshal(data, &kind); err == nil && kind.PeftType != "LORA" {
		return Config{}, fmt.Errorf("lora: %s: peft_type %q, want \"LORA\"", path, kind.PeftType)
	}
	var fc fileConfig
	if err := decode(data, &fc); err != nil {
		return Config{}, fmt.Errorf("lora: %s: %w", path, err)
	}
	if err := fc.check(); err != nil {
		return Config{}, fmt.Errorf("lora: %s: %w", path, err)
	}
	return fc.config(), nil
}
