package main

import (
	"strings"
	"testing"

	"github.com/gotrl/gotrl/pkg/models/bert"
	"github.com/gotrl/gotrl/pkg/models/generate"
	"github.com/gotrl/gotrl/pkg/models/gpt2"
	"github.com/gotrl/gotrl/pkg/models/t5"
)

func TestNewPromptLimit(t *testing.T) {
	g := &gpt2.Config{NPositions: 256}
	b := &bert.Config{MaxPositionEmbeddings: 512}
	tc := &t5.Config{}
	gen := func(maxNew, minNew int) generate.Config {
		c := generate.Default()
		c.MaxNewTokens, c.MinNewTokens = maxNew, minNew
		return c
	}
	tests := []struct {
		name      string
		config    any
		c         generate.Config
		maxPrompt int
		side      truncationSide
		want      promptLimit
		err       string
	}{
		{"gpt2 default", g, gen(20, 0), 0, "", promptLimit{236, truncateLeft}, ""},
		{"gpt2 explicit", g, gen(20, 0), 100, truncateRight, promptLimit{100, truncateRight}, ""},
		{"gpt2 fits exactly", g, gen(20, 0), 236, "", promptLimit{236, truncateLeft}, ""},
		{"bert default", b, gen(32, 0), 0, "", promptLimit{480, truncateRight}, ""},
		{"t5 no limit", tc, gen(500, 0), 0, "", promptLimit{0, truncateRight}, ""},
		{"t5 explicit left", tc, gen(20, 0), 64, truncateLeft, promptLimit{64, truncateLeft}, ""},
		{"gpt2 max new too large", g, gen(256, 0), 0, "", promptLimit{}, "--max-new-tokens 256 leaves no position for the prompt: the model has n_positions 256"},
		{"bert min new too large", b, gen(20, 600), 0, "", promptLimit{}, "--min-new-tokens 600 can never be reached: the model has max_position_embeddings 512"},
		{"min above max", tc, gen(20, 21), 0, "", promptLimit{}, "--min-new-tokens 21 > --max-new-tokens 20"},
		{"prompt + new too long", g, gen(20, 0), 237, "", promptLimit{}, "--max-prompt-length 237 + --max-new-tokens 20 exceed the model's n_positions 256"},
		{"negative", tc, gen(20, 0), -3, "", promptLimit{}, "--max-prompt-length -3: want ≥ 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newPromptLimit(tt.config, tt.c, tt.maxPrompt, tt.side)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("newPromptLimit = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
