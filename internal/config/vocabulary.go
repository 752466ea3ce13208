package config

// Vocabulary is the help of every setting more than one command has: one
// meaning per name, written once. Bind uses it for a field whose key is
// here (such a field carries no help tag of its own), and commands that
// define a flag by hand take its Usage from here.
var Vocabulary = map[string]string{
	// where things are
	"model_name_or_path":   "model to start from or use: a directory (HF layout) or a hub id (org/name[@revision])",
	"tokenizer_name":       "tokenizer: a directory (tokenizer.json, vocab.txt or GPT-2 BPE files), a tokenizer.json, a vocab.txt or a hub id (default: the model's directory)",
	"config_name":          "config.json (file or directory) of a freshly initialised model",
	"model_type":           "override the config's model_type (bert for the UniLM config)",
	"train_file":           "training data file (repeatable: files of one data set)",
	"validation_file":      "evaluation data file (repeatable)",
	"dataset_name":         "data set on the Hugging Face Hub (org/name[@revision]) or a directory laid out like one, instead of --train-file: its files of --dataset-train-split train, of --dataset-test-split evaluate",
	"dataset_config":       "config of --dataset-name (load_dataset's name; default: the dataset card's default config)",
	"dataset_train_split":  "split of --dataset-name to train on (default train)",
	"dataset_test_split":   "split of --dataset-name to evaluate on (default test; when the dataset has none, no evaluation set unless given explicitly, which is then refused)",
	"fields":               "rename a field: want=have, e.g. prompt=content (repeatable)",
	"format":               "data file format: json, jsonl, csv, tsv, parquet, squad (default: by extension)",
	"skip_bad":             "skip malformed records (and count them) instead of stopping",
	"input":                "data file of records to read: JSONL (also a name that says nothing), JSON array, CSV/TSV, Parquet, .gz (the command's help says which fields)",
	"output_dir":           "run directory: checkpoints, metrics.jsonl, plots, config.yaml and the final model",
	"output_file":          "write JSONL records here instead of printing",
	"config":               "YAML config file (keys are the flag names in snake_case); flags given on the command line override it",
	"resume":               "continue RUN_DIR from its newest checkpoint, with the settings in its config.yaml",
	"overwrite_output_dir": "delete a non-empty output directory first",

	// how long and how often
	"seed":             "random seed (weights, shuffling, dropout, sampling)",
	"max_steps":        "training steps (PPO: rollout + update iterations); 0 = num_train_epochs",
	"num_train_epochs": "training epochs (ignored when --max-steps > 0)",
	"save_steps":       "checkpoint every N steps; 0 = at the end only",
	"save_total_limit": "keep the newest N checkpoints (and the best); 0 = all",
	"logging_steps":    "write a metrics record every N steps",
	"eval_steps":       "evaluate every N steps; 0 = at the end only",
	"report_to":        "where metrics go besides metrics.jsonl: tensorboard (event files in OUTPUT_DIR/runs), all, none",

	// optimisation
	"learning_rate":               "learning rate (AdamW's peak; PPO: Adam's, constant as in TRL)",
	"gradient_accumulation_steps": "micro-batches (PPO: mini-batches) per optimizer step",
	"max_grad_norm":               "clip gradients to this global L2 norm; 0 = off",
	"bf16":                        "bfloat16 autocast with fp32 master weights: auto (on where the CPU has AMX or AVX-512-BF16; PPO stays fp32 unless true), true or false; --bf16 alone is true",
	"per_device_eval_batch_size":  "inputs per forward pass when evaluating or generating",

	// lengths and generation
	"max_length":         "tokens per input, special tokens included; longer inputs are cut",
	"max_prompt_length":  "longest prompt in tokens (specials included); longer ones are cut; 0 = what the positions allow",
	"max_new_tokens":     "tokens generated at most",
	"rollout_quantize":   "sample PPO rollouts with the policy packed in this precision: none (as stored, TRL), fp32, int8, fp16, bf16 or auto (see gotrl generate --quantize); log-probabilities and the update keep float32 weights",
	"temperature":        "sampling temperature; when not given, the model's generation_config.json (else config.json) sets it, else 1",
	"top_k":              "sample among the k likeliest tokens; 0 = off",
	"top_p":              "nucleus sampling mass; 1 = off",
	"repetition_penalty": "CTRL repetition penalty, 1 = off; when not given, the model's generation_config.json (else config.json) sets it, else 1",
	"prompt":             "prompt text (repeatable)",
	"dataset_text_field": "record field holding a text (.txt files: one text per line)",
	"reward_label":       "class whose logit or probability is the reward (a classifier's positive label; a reward model has the one label 0)",
	"reward_input":       "how the reward model reads a sample: pair (prompt and response, as gotrl rm trains) or text (prompt+response as one text); default pair for one-output reward models, text for classifiers",
	"reward_output":      "the reward: logit (default) or probability of --reward-label",
}
