package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Unsupported lists the settings of TRL 0.11.4's PPOConfig, RewardConfig
// and SFTConfig and of transformers' TrainingArguments that gotrl has no
// key for, with why and what to use instead. A config file naming one is
// refused with that reason (as every unknown key is refused): a run
// ported from Python never silently drops a setting. docs/robustness.md
// lists them.
var Unsupported = map[string]string{
	// TrainingArguments
	"optim":                  "gotrl trains with AdamW (HF's adamw_torch; PPO: Adam, as TRL) and has no other optimizer: drop the key",
	"lr_scheduler_kwargs":    "schedules take no extra arguments (cosine has num_cycles 0.5, HF's default): drop the key",
	"label_smoothing_factor": "the token loss has no label smoothing (HF's default 0): drop the key",
	"fp16":                   "CPU training runs in float32 or bfloat16 autocast: use bf16",
	"half_precision_backend": "CPU training runs in float32 or bfloat16 autocast: use bf16",
	"tf32":                   "no TF32 on CPU: drop the key",
	"torch_compile":          "libtorch runs eagerly here: drop the key",
	"gradient_checkpointing": "activations are kept for backward (the numbers are the same): drop the key",
	"group_by_length":        "batches are drawn in shuffled order, not grouped by length: drop the key",
	"dataloader_drop_last":   "a short last batch is kept (HF's default false): drop the key",
	"eval_strategy":          "use eval_steps (N > 0: every N steps; 0: at the end only)",
	"evaluation_strategy":    "use eval_steps (N > 0: every N steps; 0: at the end only)",
	"save_strategy":          "use save_steps (N > 0: every N steps; 0: at the end only)",
	"logging_strategy":       "use logging_steps",
	"neftune_noise_alpha":    "no NEFTune noise on the embeddings: drop the key",
	"lr_scheduler":           "use lr_scheduler_type",
	"warmup":                 "use warmup_steps or warmup_ratio",
	// SFTConfig
	"packing":            "not supported: every example is its own sequence (TRL's packing=False)",
	"eval_packing":       "not supported: every example is its own sequence (TRL's packing=False)",
	"num_of_sequences":   "not supported: every example is its own sequence (TRL's packing=False)",
	"chars_per_token":    "not supported: every example is its own sequence (TRL's packing=False)",
	"dataset_batch_size": "tokenization is not batched through datasets.map: drop the key",
	"dataset_kwargs":     "records are read as docs/data-formats.md says: drop the key",
	"model_init_kwargs":  "models load as their config.json says: drop the key",
	"use_liger":          "no Liger kernels: drop the key",
	// SFTConfig, RewardConfig, PPOConfig
	"dataset_num_proc":      "data is tokenized in-process: drop the key",
	"remove_unused_columns": "records are read by field name (rename with fields: want=have): drop the key",
	// PPOConfig
	"forward_batch_size":         "deprecated in TRL, where it sets mini_batch_size: use mini_batch_size",
	"backward_batch_size":        "derived: mini_batch_size × gradient_accumulation_steps",
	"global_backward_batch_size": "derived from mini_batch_size, gradient_accumulation_steps and the ranks",
	"global_batch_size":          "derived from batch_size and the ranks",
	"world_size":                 "derived from the launch (gotrl launch)",
	"is_encoder_decoder":         "derived from the policy's config.json",
	"is_peft_model":              "derived: use use_peft",
	"compare_steps":              "no push of the best model to the Hub: drop the key",
	"push_to_hub_if_best_kwargs": "no push of the best model to the Hub: drop the key",
	"optimize_cuda_cache":        "no CUDA: drop the key",
	"optimize_device_cache":      "no device cache to free on CPU: drop the key",
	"log_with":                   "use report_to (metrics.jsonl is always written)",
	"tracker_kwargs":             "use report_to (metrics.jsonl is always written)",
	"tracker_project_name":       "use report_to (metrics.jsonl is always written)",
	"accelerator_kwargs":         "no accelerate: drop the key (gotrl launch runs data-parallel ranks)",
	"project_kwargs":             "no accelerate: drop the key",
	"exp_name":                   "the run is named by output_dir",
	"task_name":                  "the run is named by output_dir",
	"model_name":                 "use model_name_or_path",
	"query_dataset":              "use dataset_name (a hub data set, its train split) or train_file",
}

// unknownKey explains the first key of the YAML mapping m that the
// struct cfg points to has no field for, when it is a flag alias of one
// of its keys or a setting in Unsupported; other unknown keys (and a
// mapping without any) give nil, left to the decoder's own error.
func unknownKey(m *yaml.Node, cfg any) error {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	known := map[string]bool{}
	alias := map[string]string{} // flag alias → key
	_ = walk(reflect.ValueOf(cfg).Elem(), func(f reflect.StructField, _ reflect.Value, key string) error {
		known[key] = true
		if a := f.Tag.Get("alias"); a != "" {
			for _, x := range strings.Split(a, ",") {
				alias[x] = key
			}
		}
		return nil
	})
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if known[k.Value] {
			continue
		}
		if key, ok := alias[strings.ReplaceAll(k.Value, "_", "-")]; ok {
			return fmt.Errorf("line %d: %s: not a key; the key is %s (--%s is a flag alias of --%s)",
				k.Line, k.Value, key, strings.ReplaceAll(k.Value, "_", "-"), strings.ReplaceAll(key, "_", "-"))
		}
		if why, ok := Unsupported[k.Value]; ok {
			if !strings.HasPrefix(why, "not supported") {
				why = "not supported: " + why
			}
			return fmt.Errorf("line %d: %s: %s", k.Line, k.Value, why)
		}
	}
	return nil
}

// UnknownKeys is unknownKey on a whole YAML document (or a section's
// mapping): call it before decoding into cfg.
func UnknownKeys(doc []byte, cfg any) error {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil // the decoder reports it
	}
	if len(n.Content) == 0 {
		return nil
	}
	return unknownKey(n.Content[0], cfg)
}

// SectionUnknownKeys is unknownKey on a mapping node: a section of a
// larger file.
func SectionUnknownKeys(section *yaml.Node, cfg any) error { return unknownKey(section, cfg) }
