package generate

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestFromCheckpoint: a model directory's generation defaults reach the
// config as transformers 4.46.3 builds model.generation_config, flags the
// user gave win, and what gotrl cannot compute is refused by file and
// field. The generated ids under such defaults are compared with HF's in
// cmd/gotrl (TestGenerateCheckpointDefaults); here are the resolutions
// that need no model, sampling among them.
func TestFromCheckpoint(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	def := Default()
	with := func(edit func(*Config)) Config { c := Default(); edit(&c); return c }
	cases := []struct {
		name      string
		genConfig string         // generation_config.json; "" = none
		config    string         // config.json
		model     map[string]any // the loaded model's config, as JSON
		given     map[string]any // flags the user set, by HF key
		want      Config
		wantErr   []string // all in the error
	}{
		{name: "sampling turned on by generation_config.json",
			genConfig: `{"do_sample": true, "top_p": 0.9, "top_k": 0, "temperature": 0.7, "repetition_penalty": 1.2, "eos_token_id": [2, 5], "transformers_version": "4.46.3"}`,
			want: with(func(c *Config) {
				c.DoSample, c.TopP, c.TopK, c.Temperature, c.RepetitionPenalty, c.EOSTokenID = true, 0.9, 0, 0.7, 1.2, IDs{2, 5}
			})},
		{name: "a flag the user set wins, one left alone does not",
			genConfig: `{"do_sample": true, "top_p": 0.9, "temperature": 0.7}`,
			given:     map[string]any{"do_sample": false, "top_p": 0.5, "max_new_tokens": 20},
			want:      with(func(c *Config) { c.DoSample, c.TopP, c.Temperature = false, 0.5, 0.7 })},
		{name: "max_length alone replaces gotrl's 20 new tokens",
			genConfig: `{"max_length": 100, "min_length": 10}`,
			want:      with(func(c *Config) { c.MaxNewTokens, c.MaxLength, c.MinLength = 0, 100, 10 })},
		{name: "max_new_tokens given replaces the checkpoint's max_length, min_new_tokens its min_length",
			genConfig: `{"max_length": 100, "min_length": 10}`,
			given:     map[string]any{"max_new_tokens": 5, "min_new_tokens": 0},
			want:      with(func(c *Config) { c.MaxNewTokens = 5 })},
		{name: "the checkpoint's max_new_tokens wins over its max_length",
			genConfig: `{"max_length": 100, "max_new_tokens": 7}`,
			want:      with(func(c *Config) { c.MaxNewTokens = 7 })},
		{name: "null is unset",
			genConfig: `{"max_length": null, "eos_token_id": null, "pad_token_id": null, "suppress_tokens": null, "typical_p": 1.0}`,
			want:      def},
		{name: "generation_config.json is read instead of config.json",
			genConfig: `{"num_beams": 2}`, config: `{"num_beams": 4, "eos_token_id": 9}`,
			want: with(func(c *Config) { c.NumBeams = 2 })},
		{name: "config.json: non-default generation attributes, ids from the model's config",
			config: `{"n_embd": 32, "max_length": 20, "num_beams": 4, "no_repeat_ngram_size": 3, "early_stopping": true, "bad_words_ids": [[7], [8, 9]], "eos_token_id": 3, "task_specific_params": {"text-generation": {"do_sample": true}}}`,
			model:  map[string]any{"eos_token_id": 50256, "pad_token_id": nil, "n_embd": 32},
			want: with(func(c *Config) {
				c.NumBeams, c.NoRepeatNgramSize, c.EarlyStopping, c.BadWordsIDs, c.EOSTokenID = 4, 3, true, [][]int64{{7}, {8, 9}}, IDs{50256}
			})},
		{name: "config.json edited after a generation_config.json derived from it wins, as in HF",
			genConfig: `{"_from_model_config": true, "eos_token_id": 2}`, config: `{"num_beams": 3, "no_repeat_ngram_size": 2}`,
			model: map[string]any{"eos_token_id": 2},
			want:  with(func(c *Config) { c.NumBeams, c.NoRepeatNgramSize, c.EOSTokenID = 3, 2, IDs{2} })},
		{name: "a generation_config.json not derived from config.json keeps its own",
			genConfig: `{"eos_token_id": 2}`, config: `{"num_beams": 3}`, model: map[string]any{"eos_token_id": 2},
			want: with(func(c *Config) { c.EOSTokenID = IDs{2} })},
		{name: "a derived generation_config.json that agrees with config.json stays",
			genConfig: `{"_from_model_config": true, "num_beams": 3, "eos_token_id": 2, "transformers_version": "4.46.3"}`,
			config:    `{"num_beams": 3, "max_length": 20}`, model: map[string]any{"eos_token_id": 2},
			want: with(func(c *Config) { c.NumBeams, c.EOSTokenID = 3, IDs{2} })},
		{name: "a matching decoder_start_token_id is accepted",
			genConfig: `{"decoder_start_token_id": 0, "pad_token_id": 0, "eos_token_id": 1}`,
			model:     map[string]any{"decoder_start_token_id": 0},
			want:      with(func(c *Config) { c.PadTokenID, c.EOSTokenID = i64(0), IDs{1} })},
		{name: "another decoder_start_token_id is refused",
			genConfig: `{"decoder_start_token_id": 5}`, model: map[string]any{"decoder_start_token_id": 0},
			wantErr: []string{"generation_config.json", "decoder_start_token_id 5"}},
		{name: "group beam search is refused by name",
			genConfig: `{"num_beams": 4, "num_beam_groups": 2, "diversity_penalty": 0.5}`,
			wantErr:   []string{"generation_config.json", "num_beam_groups 2", "diversity_penalty 0.5", "no flag overrides it"}},
		{name: "typical_p, penalty_alpha, forced_eos_token_id and suppress_tokens are refused",
			genConfig: `{"typical_p": 0.9, "penalty_alpha": 0.6, "forced_eos_token_id": 2, "suppress_tokens": [3, 4]}`,
			wantErr:   []string{"typical_p 0.9", "penalty_alpha 0.6", "forced_eos_token_id 2", "suppress_tokens [3, 4]"}},
		{name: "config.json's unsupported attribute is refused, naming config.json",
			config: `{"forced_bos_token_id": 0}`, wantErr: []string{"config.json", "forced_bos_token_id 0"}},
		{name: "a file that is not a JSON object says so",
			genConfig: `[{"num_beams": 2}]`, wantErr: []string{"generation_config.json", "want a JSON object of settings, not a JSON array"}},
		{name: `early_stopping "never" is refused, naming its flag`,
			genConfig: `{"num_beams": 2, "early_stopping": "never"}`,
			wantErr:   []string{"generation_config.json", `early_stopping "never"`, "--early-stopping"}},
		{name: `early_stopping "never" yields to the flag`,
			genConfig: `{"num_beams": 2, "early_stopping": "never"}`, given: map[string]any{"early_stopping": true},
			want: with(func(c *Config) { c.NumBeams, c.EarlyStopping = 2, true })},
		{name: "HF refuses early_stopping outside true, false, never",
			genConfig: `{"early_stopping": "sometimes"}`, wantErr: []string{"generation_config.json", "early_stopping"}},
		{name: "HF refuses max_new_tokens 0",
			genConfig: `{"max_new_tokens": 0}`, wantErr: []string{"generation_config.json", "max_new_tokens 0"}},
		{name: "HF refuses a generate() argument in the file",
			genConfig: `{"streamer": null}`, wantErr: []string{"generation_config.json", "streamer"}},
		{name: "HF refuses several greedy sequences",
			genConfig: `{"num_return_sequences": 2}`, wantErr: []string{"generation_config.json", "num_return_sequences 2"}},
		{name: "a field of the wrong type names itself",
			genConfig: `{"num_beams": "3"}`, wantErr: []string{"generation_config.json", "num_beams"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.config == "" {
				c.config = `{"model_type": "gpt2"}`
			}
			write := func(name, body string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("config.json", c.config)
			if c.genConfig != "" {
				write(GenerationConfigFile, c.genConfig)
			}
			got := Default()
			for key, v := range c.given { // what the flags wrote into the config
				reflect.ValueOf(&got).Elem().FieldByIndex(fieldIndex(t, key)).Set(reflect.ValueOf(v))
			}
			err := func() error {
				k, err := FromCheckpoint(dir, c.model)
				if err != nil {
					return err
				}
				return k.Apply(&got, func(key string) bool { _, ok := c.given[key]; return ok })
			}()
			if len(c.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, config %+v", got)
				}
				for _, w := range c.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("config\n %+v\nwant\n %+v", got, c.want)
			}
		})
	}
}

// fieldIndex finds Config's field for an HF key.
func fieldIndex(t *testing.T, key string) []int {
	t.Helper()
	ct := reflect.TypeOf(Config{})
	for i := range ct.NumField() {
		if tag, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ","); tag == key {
			return []int{i}
		}
	}
	t.Fatalf("no Config field for %s", key)
	return nil
}

// TestCheckpointFieldsDocumented: docs/hub.md names every GenerationConfig
// field FromCheckpoint knows, so its table of honoured, accepted and
// refused fields stays the code's.
func TestCheckpointFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/hub.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "what generation_config.json may say")
	for key := range hfFields {
		if !strings.Contains(section, "`"+key+"`") {
			t.Errorf("docs/hub.md's generation_config.json section does not name `%s`", key)
		}
	}
}
