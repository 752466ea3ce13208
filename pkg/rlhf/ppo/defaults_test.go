package ppo

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/models/generate"
)

func ptr(v float64) *float64 { return &v }

// TestRolloutDefaults: what a rollout's settings leave out comes from
// the policy's generation_config.json (else config.json), as TRL's
// generate() completes its generation_kwargs; what TRL's examples pass
// (sampling, top_k, top_p, the length) and a rollout fixes (one beam, one
// sequence) never does.
func TestRolloutDefaults(t *testing.T) {
	model := map[string]any{"model_type": "gpt2", "eos_token_id": 9}
	tests := []struct {
		name    string
		files   map[string]string
		set     func(*RolloutConfig)
		want    func(*generate.Config) // from the rollout's own settings
		wantErr string
	}{{
		name:  "no generation_config.json: config.json's eos, HF's defaults",
		files: map[string]string{"config.json": `{"model_type": "gpt2"}`},
		want:  func(g *generate.Config) { g.EOSTokenID = generate.IDs{9} },
	}, {
		name: "generation_config.json fills what is unset",
		files: map[string]string{"generation_config.json": `{"temperature": 0.7, "repetition_penalty": 1.3,
			"no_repeat_ngram_size": 2, "eos_token_id": [3, 4], "top_k": 5, "top_p": 0.5, "do_sample": false,
			"num_beams": 4, "num_return_sequences": 2, "max_length": 50, "min_length": 30}`},
		want: func(g *generate.Config) {
			g.Temperature, g.RepetitionPenalty, g.NoRepeatNgramSize, g.EOSTokenID = 0.7, 1.3, 2, generate.IDs{3, 4}
		},
	}, {
		name:  "the user's settings win",
		files: map[string]string{"generation_config.json": `{"temperature": 0.7, "repetition_penalty": 1.3, "eos_token_id": 3}`},
		set: func(c *RolloutConfig) {
			c.Temperature, c.RepetitionPenalty, c.EOSTokenID = ptr(1), ptr(1.1), generate.IDs{5}
		},
		want: func(g *generate.Config) { g.RepetitionPenalty, g.EOSTokenID = 1.1, generate.IDs{5} },
	}, {
		name:  "config.json's non-default sampling settings",
		files: map[string]string{"config.json": `{"model_type": "gpt2", "temperature": 0.5, "top_k": 7}`},
		want:  func(g *generate.Config) { g.Temperature, g.EOSTokenID = 0.5, generate.IDs{9} },
	}, {
		name:    "a default a rollout cannot honour",
		files:   map[string]string{"generation_config.json": `{"typical_p": 0.5}`},
		wantErr: "generation_config.json: typical_p",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rc := DefaultRolloutConfig()
			if tc.set != nil {
				tc.set(&rc)
			}
			got, err := rc.WithDefaults(dir, model)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pad := int64(0)
			got.PadTokenID = &pad
			want := generate.Default()
			want.DoSample, want.TopK, want.TopP, want.MaxNewTokens, want.Seed, want.PadTokenID = true, 0, 1, 12, 3, &pad
			if tc.want != nil {
				tc.want(&want)
			}
			if g := got.generation(12, 3); !reflect.DeepEqual(g, want) {
				t.Errorf("rollout generates with\n%+v\nwant\n%+v", g, want)
			}
		})
	}
}

// TestRolloutSamplesWithDefaults: a temperature the policy's defaults
// give samples as the same temperature given as a setting, and not as
// the temperature of 1 that would apply without them.
func TestRolloutSamplesWithDefaults(t *testing.T) {
	p := tinyGPT2(t)
	cfg := DefaultConfig()
	cfg.BatchSize, cfg.MiniBatchSize = 4, 4
	tr, err := NewTrainer(cfg, p, tinyGPT2(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	queries := [][]int64{{3, 4, 5}, {6}, {7, 8}, {9, 10, 11, 12}}
	sample := func(rc RolloutConfig) [][]int64 {
		rc.MinLength, rc.MaxLength = 12, 12
		out, err := tr.Rollout(context.Background(), queries, rc, 7)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fromDefaults := DefaultRolloutConfig()
	d := fromDefaults.generation(12, 0)
	d.Temperature = 0.05
	fromDefaults.Defaults = &d
	given := DefaultRolloutConfig()
	given.Temperature = ptr(0.05)
	plain := DefaultRolloutConfig()
	a, b, c := sample(fromDefaults), sample(given), sample(plain)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("temperature 0.05 from the defaults sampled\n%v\nas a setting\n%v", a, b)
	}
	if reflect.DeepEqual(a, c) {
		t.Errorf("temperature 0.05 from the defaults sampled as temperature 1: %v", a)
	}
}

// TestRolloutDefaultEOS: a default eos id outside the policy's vocabulary
// (GPT-2's 50256 in a generation_config.json derived for a 21,128-token
// Chinese GPT-2) is set aside, not stopped at.
func TestRolloutDefaultEOS(t *testing.T) {
	tests := []struct {
		eos     generate.IDs
		in, out generate.IDs
	}{
		{generate.IDs{50256}, nil, generate.IDs{50256}},
		{generate.IDs{102, 50256}, generate.IDs{102}, generate.IDs{50256}},
		{generate.IDs{102}, generate.IDs{102}, nil},
		{nil, nil, nil},
	}
	for _, tc := range tests {
		rc := DefaultRolloutConfig()
		d := rc.generation(4, 0)
		d.EOSTokenID = tc.eos
		rc.Defaults = &d
		in, out := rc.defaultEOS(21128)
		if !reflect.DeepEqual(in, tc.in) || !reflect.DeepEqual(out, tc.out) {
			t.Errorf("eos %v: inside %v outside %v, want %v and %v", tc.eos, in, out, tc.in, tc.out)
		}
	}
}
