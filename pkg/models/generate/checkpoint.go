package generate

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// GenerationConfigFile is the file a checkpoint's generation defaults live
// in (transformers' GENERATION_CONFIG_NAME); without it they come from
// config.json.
const GenerationConfigFile = "generation_config.json"

const modelConfigFile = "config.json"

// Checkpoint is a model directory's generation defaults, read as
// transformers 4.46.3 builds model.generation_config:
// generation_config.json when the directory has one
// (GenerationConfig.from_pretrained), else the generation attributes of
// config.json (GenerationConfig.from_model_config). generate() starts from
// them and its caller's arguments override them field by field; Apply
// does the same with the flags a user gave.
type Checkpoint struct {
	// File is the file the defaults came from: generation_config.json
	// or config.json.
	File string
	// Path is File's path, for messages.
	Path string
	// values holds the fields File sets, over Default.
	values Config
	// set names the keys File sets: generation_config.json every key it
	// holds with a value (null is unset, as in HF), config.json every
	// generation key whose value is not HF's default, as
	// from_model_config keeps only those.
	set map[string]bool
	// refused says, by key, why a value File sets cannot be honoured.
	refused map[string]string
	// fromModelConfig is generation_config.json's "_from_model_config";
	// legacyGeneration says config.json sets a generation attribute of
	// PretrainedConfig's (_get_non_default_generation_parameters).
	fromModelConfig, legacyGeneration bool
}

// use is what gotrl does with one GenerationConfig field.
type use int

const (
	honour use = iota // a Config field, computed as HF does
	ignore            // bookkeeping, or a setting that does not change the ids
	refuse            // a value other than HF's default is refused
)

// hfField is one field of transformers 4.46.3's GenerationConfig: its
// defaults (the values that leave generation as without it; nil is None)
// and its use.
type hfField struct {
	use      use
	defaults []any
}

// hfFields are GenerationConfig.__init__'s fields (configuration_utils.py).
// Numbers are float64, as encoding/json decodes them.
var hfFields = map[string]hfField{
	// lengths
	"max_length":     {honour, []any{20.0}},
	"max_new_tokens": {honour, []any{nil}},
	"min_length":     {honour, []any{0.0}},
	"min_new_tokens": {honour, []any{nil}},
	"early_stopping": {honour, []any{false}},
	"max_time":       {refuse, []any{nil}},
	"stop_strings":   {refuse, []any{nil}},
	// strategy
	"do_sample":       {honour, []any{false}},
	"num_beams":       {honour, []any{1.0}},
	"num_beam_groups": {refuse, []any{1.0}},
	"penalty_alpha":   {refuse, []any{nil}},
	"dola_layers":     {refuse, []any{nil}},
	// cache: where keys and values are kept, not what is generated
	"use_cache":            {ignore, nil},
	"cache_implementation": {ignore, nil},
	"cache_config":         {ignore, nil},
	"return_legacy_cache":  {ignore, nil},
	// logits manipulation
	"temperature":                      {honour, []any{1.0}},
	"top_k":                            {honour, []any{50.0}},
	"top_p":                            {honour, []any{1.0}},
	"min_p":                            {refuse, []any{nil}},
	"typical_p":                        {refuse, []any{1.0}},
	"epsilon_cutoff":                   {refuse, []any{0.0}},
	"eta_cutoff":                       {refuse, []any{0.0}},
	"diversity_penalty":                {refuse, []any{0.0}},
	"repetition_penalty":               {honour, []any{1.0}},
	"encoder_repetition_penalty":       {refuse, []any{1.0}},
	"length_penalty":                   {honour, []any{1.0}},
	"no_repeat_ngram_size":             {honour, []any{0.0}},
	"bad_words_ids":                    {honour, []any{nil}},
	"force_words_ids":                  {refuse, []any{nil}},
	"renormalize_logits":               {refuse, []any{false}},
	"constraints":                      {refuse, []any{nil}},
	"forced_bos_token_id":              {refuse, []any{nil}},
	"forced_eos_token_id":              {refuse, []any{nil}},
	"remove_invalid_values":            {refuse, []any{false}},
	"exponential_decay_length_penalty": {refuse, []any{nil}},
	"suppress_tokens":                  {refuse, []any{nil}},
	"begin_suppress_tokens":            {refuse, []any{nil}},
	"forced_decoder_ids":               {refuse, []any{nil}},
	"sequence_bias":                    {refuse, []any{nil}},
	"token_healing":                    {refuse, []any{false}},
	"guidance_scale":                   {refuse, []any{nil, 1.0}},
	"low_memory":                       {ignore, nil}, // sequential beam search: the same beams
	"watermarking_config":              {refuse, []any{nil}},
	// outputs: what generate() returns besides the ids
	"num_return_sequences":    {honour, []any{1.0}},
	"output_attentions":       {ignore, nil},
	"output_hidden_states":    {ignore, nil},
	"output_scores":           {ignore, nil},
	"output_logits":           {ignore, nil},
	"return_dict_in_generate": {ignore, nil},
	// special tokens
	"pad_token_id": {honour, []any{nil}},
	"eos_token_id": {honour, []any{nil}},
	// bos_token_id starts a prompt-less generation (gotrl always has a
	// prompt) and stands in for a missing decoder_start_token_id, which
	// the model's config decides in gotrl.
	"bos_token_id":                   {ignore, nil},
	"decoder_start_token_id":         {ignore, nil}, // checked against the model's in FromCheckpoint
	"encoder_no_repeat_ngram_size":   {refuse, []any{0.0}},
	"num_assistant_tokens":           {ignore, nil}, // assisted generation needs an assistant model, an argument
	"num_assistant_tokens_schedule":  {ignore, nil},
	"assistant_confidence_threshold": {ignore, nil},
	"prompt_lookup_num_tokens":       {refuse, []any{nil}},
	"max_matching_ngram_size":        {ignore, nil},
	"generation_kwargs":              {ignore, nil},
	// metadata
	"_from_model_config":    {ignore, nil},
	"_commit_hash":          {ignore, nil},
	"_original_object_hash": {ignore, nil},
	"transformers_version":  {ignore, nil},
}

// pretrainedGenerationKeys are PretrainedConfig's
// _get_global_generation_defaults: the generation attributes whose
// non-default values in config.json HF 4.46.3 still lets override a
// generation_config.json derived from it.
var pretrainedGenerationKeys = []string{
	"max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups",
	"diversity_penalty", "temperature", "top_k", "top_p", "typical_p", "repetition_penalty",
	"length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
	"num_return_sequences", "output_scores", "return_dict_in_generate", "forced_bos_token_id",
	"forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty",
	"suppress_tokens", "begin_suppress_tokens",
}

// generateArguments are generate()'s own arguments, which HF's
// GenerationConfig.validate refuses to find in a generation config.
var generateArguments = []string{
	"logits_processor", "stopping_criteria", "prefix_allowed_tokens_fn", "synced_gpus",
	"assistant_model", "streamer", "negative_prompt_ids", "negative_prompt_attention_mask",
}

// FromCheckpoint reads dir's generation defaults. model is the loaded
// model's config: its JSON form carries the config class's defaults (a
// GPT-2 config without eos_token_id has 50256), as HF's
// config.to_dict() does, and so gives the special ids when the defaults
// come from config.json. A value HF itself refuses (early_stopping
// "sometimes", max_new_tokens 0, a generate() argument) is an error
// naming the file and the key.
//
// A generation_config.json marked "_from_model_config" that disagrees
// with config.json's non-default generation attributes gives way to
// them, as HF's _prepare_generation_config does (with a deprecation
// warning) when it finds the model config edited after the generation
// config was derived from it.
func FromCheckpoint(dir string, model any) (Checkpoint, error) {
	modelKeys := map[string]json.RawMessage{}
	if b, err := json.Marshal(model); err == nil {
		_ = json.Unmarshal(b, &modelKeys)
	}
	gen, err := readDefaults(dir, GenerationConfigFile, modelKeys)
	if !errors.Is(err, os.ErrNotExist) {
		if err != nil || !gen.fromModelConfig {
			return gen, err
		}
	}
	legacy, lerr := readDefaults(dir, modelConfigFile, modelKeys)
	switch {
	case err != nil: // no generation_config.json
		return legacy, lerr
	case lerr != nil || !legacy.legacyGeneration || legacy.sameAs(gen):
		return gen, nil
	}
	return legacy, nil
}

// readDefaults reads the generation defaults in dir/file.
func readDefaults(dir, file string, modelKeys map[string]json.RawMessage) (Checkpoint, error) {
	k := Checkpoint{File: file, Path: filepath.Join(dir, file), values: Default(), set: map[string]bool{}, refused: map[string]string{}}
	raw, err := os.ReadFile(k.Path)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("generation defaults: %w", err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		if typ := (*json.UnmarshalTypeError)(nil); errors.As(err, &typ) && typ.Field == "" {
			return Checkpoint{}, fmt.Errorf("%s: want a JSON object of settings, not a JSON %s", k.Path, typ.Value)
		}
		return Checkpoint{}, fmt.Errorf("%s: %w", k.Path, err)
	}
	if file == modelConfigFile {
		// from_model_config reads the ids from the config object, whose
		// class fills what the file leaves out
		for _, id := range []string{"eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id"} {
			delete(keys, id)
			if v, ok := modelKeys[id]; ok {
				keys[id] = v
			}
		}
	} else {
		_ = json.Unmarshal(keys["_from_model_config"], &k.fromModelConfig)
	}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		if err := k.read(key, keys[key], modelKeys); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k.Path, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Checkpoint{}, err
	}
	return k, nil
}

// sameAs reports whether two checkpoints' defaults generate alike (HF
// compares the two GenerationConfigs without their metadata).
func (k Checkpoint) sameAs(o Checkpoint) bool {
	hf := func(k Checkpoint) Config { // max_length is 20 in HF when unset
		c := k.values
		if !k.set["max_length"] {
			c.MaxLength = 20
		}
		return c
	}
	return reflect.DeepEqual(hf(k), hf(o)) && reflect.DeepEqual(k.refused, o.refused) &&
		k.set["max_new_tokens"] == o.set["max_new_tokens"] && k.set["min_new_tokens"] == o.set["min_new_tokens"]
}

// read takes one key of the file.
func (k *Checkpoint) read(key string, raw json.RawMessage, model map[string]json.RawMessage) error {
	if slices.Contains(generateArguments, key) {
		return fmt.Errorf("%s is not a generation config field but an argument of generate() (HF refuses it too): remove it", key)
	}
	f, known := hfFields[key]
	if !known || f.use == ignore {
		// HF keeps a key it does not know as an attribute nothing reads;
		// config.json's model keys are not generation settings at all
		return k.checkDecoderStart(key, raw, model)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if v == nil { // None: unset
		return nil
	}
	isDefault := slices.ContainsFunc(f.defaults, func(d any) bool { return reflect.DeepEqual(d, v) })
	if k.File == modelConfigFile && isDefault {
		return nil
	}
	if k.File == modelConfigFile && slices.Contains(pretrainedGenerationKeys, key) {
		k.legacyGeneration = true
	}
	switch {
	case f.use == refuse && !isDefault:
		k.refused[key] = fmt.Sprintf("%s %s: gotrl cannot generate with it (no flag overrides it): remove the key to generate without it", key, raw)
		return nil
	case f.use == refuse:
		return nil
	case key == "early_stopping":
		switch v {
		case true, false:
		case "never":
			k.refused[key] = `early_stopping "never": gotrl's beam search stops as early_stopping true or false does; --early-stopping overrides it`
			return nil
		default:
			return fmt.Errorf("early_stopping %s: want true, false or \"never\" (HF refuses it too)", raw)
		}
	case key == "max_new_tokens":
		if n, ok := v.(float64); ok && n <= 0 {
			return fmt.Errorf("max_new_tokens %s: want > 0 (HF refuses it too)", raw)
		}
	}
	if err := json.Unmarshal([]byte(fmt.Sprintf("{%q: %s}", key, raw)), &k.values); err != nil {
		return fmt.Errorf("%s %s: %w", key, raw, err)
	}
	k.set[key] = true
	return nil
}

// checkDecoderStart refuses a generation_config.json whose
// decoder_start_token_id is not the one the model's config gives its
// decoder: gotrl's encoder-decoders start from config.json's.
func (k *Checkpoint) checkDecoderStart(key string, raw json.RawMessage, model map[string]json.RawMessage) error {
	if key != "decoder_start_token_id" || k.File == modelConfigFile {
		return nil
	}
	var want, have *int64
	if json.Unmarshal(raw, &have) != nil || have == nil || json.Unmarshal(model[key], &want) != nil || want == nil || *have == *want {
		return nil
	}
	k.refused[key] = fmt.Sprintf("decoder_start_token_id %d: the model's config.json starts the decoder at %d, and gotrl decodes from config.json's (no flag overrides it)", *have, *want)
	return nil
}

// Apply gives c the value of every field the checkpoint sets that
// explicit does not claim (explicit(key) reports a setting the user gave,
// such as a flag on the command line), as generate()'s arguments override
// model.generation_config in HF; then, as HF's _prepare_generated_length,
// max_new_tokens (from either) replaces max_length and min_new_tokens
// min_length. A field gotrl cannot honour that stays in force is an error
// naming the file and the field, and so is a combination HF refuses.
func (k Checkpoint) Apply(c *Config, explicit func(key string) bool) error {
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(k.refused)) {
		if !explicit(key) {
			errs = append(errs, fmt.Errorf("%s: %s", k.Path, k.refused[key]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	cv, kv := reflect.ValueOf(c).Elem(), reflect.ValueOf(k.values)
	for i := range cv.NumField() {
		key, _, _ := strings.Cut(cv.Type().Field(i).Tag.Get("json"), ",")
		if k.set[key] && !explicit(key) {
			cv.Field(i).Set(kv.Field(i))
		}
	}
	newSet := func(key string) bool { return k.set[key] || explicit(key) }
	switch {
	case newSet("max_new_tokens"):
		c.MaxLength = 0
	case k.set["max_length"]:
		c.MaxNewTokens = 0 // max_length bounds the row, not gotrl's default of 20 new tokens
	}
	if newSet("min_new_tokens") {
		c.MinLength = 0
	}
	if len(k.set) == 0 {
		return nil
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%s sets generation defaults that do not hold with the flags given: %w", k.Path, err)
	}
	return nil
}
