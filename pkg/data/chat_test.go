package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chatCase is one entry of testdata/chat.json, written by
// scripts/fixtures/make_formats.py with transformers' apply_chat_template
// and TRL 0.11.4's maybe_apply_chat_template.
type chatCase struct {
	Template, Conversation string
	Messages               []Message
	Text, Generation       string
	Prompt, Completion     string
	Error                  string
}

func TestChatTemplatesMatchTransformers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "chat.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []chatCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("%d cases in chat.json, want the 7 templates × 5 conversations", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Template+"/"+c.Conversation, func(t *testing.T) {
			chat, err := LoadChatTemplate(filepath.Join("testdata", "chat", c.Template))
			if err != nil {
				t.Fatal(err)
			}
			text, err := chat.Render(c.Messages, false)
			if c.Error != "" {
				if err == nil || !strings.Contains(err.Error(), c.Error) {
					t.Fatalf("render error %v, want one containing %q", err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if text != c.Text {
				t.Errorf("render:\n got %q\nwant %q", text, c.Text)
			}
			gen, err := chat.Render(c.Messages, true)
			if err != nil || gen != c.Generation {
				t.Errorf("render with generation prompt: %v\n got %q\nwant %q", err, gen, c.Generation)
			}
			n := len(c.Messages) - 1
			p, comp, err := chat.Split(c.Messages[:n], c.Messages[n:])
			if err != nil || p != c.Prompt || comp != c.Completion {
				t.Errorf("split: %v\n got %q + %q\nwant %q + %q", err, p, comp, c.Prompt, c.Completion)
			}
		})
	}
}

func TestLoadChatTemplate(t *testing.T) {
	// A file beside tokenizer_config.json finds it too (--tokenizer DIR/vocab.txt).
	cfg, err := os.ReadFile(filepath.Join("testdata", "chat", "llama2", "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"tokenizer_config.json", "vocab.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := LoadChatTemplate(filepath.Join(dir, "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Render([]Message{{"user", "hi"}}, false); got != "<s>[INST] hi [/INST]" {
		t.Errorf("template found beside a file renders %q", got)
	}

	// chat_template.jinja wins over tokenizer_config.json, as in newer transformers.
	os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{% endfor %}"), 0o644)
	c, err = LoadChatTemplate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Render([]Message{{"user", "hi"}}, false); got != "<s>[user]" || !strings.HasSuffix(c.Source, "chat_template.jinja") {
		t.Errorf("chat_template.jinja: %q from %s", got, c.Source)
	}

	// No config at all: the built-in ChatML, saying so.
	c, err = LoadChatTemplate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Render([]Message{{"user", "hi"}}, true); got != "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n" || !strings.HasPrefix(c.Source, "built-in ChatML") {
		t.Errorf("default: %q from %s", got, c.Source)
	}

	bad := []struct{ name, config, want string }{
		{"malformed JSON", "{\n\"chat_template\": \"x\",\n}", "tokenizer_config.json:3"},
		{"template not a string", `{"chat_template": 3}`, `field "chat_template": want a string or a list`},
		{"no default among named", `{"chat_template": [{"name": "tool_use", "template": "x"}]}`, `no template named "default" among tool_use`},
		{"bad token", `{"eos_token": 3}`, `field "eos_token": want a string or an object`},
		{"template syntax", `{"chat_template": "{% for m in messages %}"}`, "tokenizer_config.json: chat_template: jinja"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "tokenizer_config.json"), []byte(tt.config), 0o644)
			_, err := LoadChatTemplate(d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := LoadChatTemplate(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing tokenizer path gave no error")
	}
}
