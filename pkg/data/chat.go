package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ardanlabs/jinja"
)

// ChatMLTemplate is the built-in chat template, used when a tokenizer has
// none: ChatML, as transformers' former default_chat_template and TRL's
// setup_chat_format write it. Each turn is
// "<|im_start|>{role}\n{content}<|im_end|>\n"; the generation prompt is
// "<|im_start|>assistant\n".
const ChatMLTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// ChatTemplate renders a conversation to text the way a model's tokenizer
// does (transformers' apply_chat_template(tokenize=False)): the Jinja2
// chat_template of tokenizer_config.json, evaluated with HF's settings
// (trim_blocks, lstrip_blocks) and given the tokenizer's special tokens
// (bos_token, eos_token, ...) as variables.
type ChatTemplate struct {
	// Source says where the template came from: a file, or "built-in ChatML".
	Source string
	tmpl   *jinja.Template
	vars   map[string]any // special tokens, passed to every render
}

// NewChatTemplate compiles a Jinja2 chat template; specials are the
// template variables for special tokens ("bos_token": "<s>", ...).
func NewChatTemplate(source, template string, specials map[string]string) (*ChatTemplate, error) {
	t, err := jinja.Compile(template)
	if err != nil {
		return nil, fmt.Errorf("%s: chat_template: %w", source, err)
	}
	vars := make(map[string]any, len(specials))
	for k, v := range specials {
		vars[k] = v
	}
	return &ChatTemplate{Source: source, tmpl: t, vars: vars}, nil
}

// DefaultChatTemplate returns the built-in ChatML template. (The error
// cannot happen for the constant, which the tests compile; it is returned
// rather than panicked on.)
func DefaultChatTemplate() (*ChatTemplate, error) {
	return NewChatTemplate("built-in ChatML", ChatMLTemplate, nil)
}

// defaultChat compiles the built-in template once; a compiled template is
// safe for concurrent renders.
var defaultChat = sync.OnceValues(DefaultChatTemplate)

// LoadChatTemplate finds the chat template of a tokenizer: path is the
// tokenizer's directory or a file in it (vocab.txt, tokenizer.json). It reads
// chat_template.jinja when present (newer transformers save it there), else
// the chat_template of tokenizer_config.json: a string, or a list of
// {"name","template"} of which "default" is used. With neither, it returns
// the built-in ChatML template and no error; Source then says so.
func LoadChatTemplate(path string) (*ChatTemplate, error) {
	dir := path
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	} else if !fi.IsDir() {
		dir = filepath.Dir(path)
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	cfg, err := readTokenizerConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	src, tmpl := cfgPath, cfg.template
	if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
		src, tmpl = filepath.Join(dir, "chat_template.jinja"), string(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	if tmpl == "" {
		return NewChatTemplate("built-in ChatML (no chat_template in "+dir+")", ChatMLTemplate, cfg.specials)
	}
	return NewChatTemplate(src, tmpl, cfg.specials)
}

// tokenizerConfig is what a chat template needs from tokenizer_config.json.
type tokenizerConfig struct {
	template string
	specials map[string]string
}

// specialKeys are the special tokens transformers hands a chat template.
var specialKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// readTokenizerConfig reads chat_template and the special tokens, each a
// string or an AddedToken object {"content": "<s>", ...}. A missing file is
// an empty config.
func readTokenizerConfig(path string) (tokenizerConfig, error) {
	cfg := tokenizerConfig{specials: map[string]string{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return cfg, fmt.Errorf("%s:%d: %w", path, lineOf(b, se.Offset), err)
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	for _, k := range specialKeys {
		if v, ok := raw[k]; ok {
			s, err := tokenContent(v)
			if err != nil {
				return cfg, fmt.Errorf("%s: field %q: %w", path, k, err)
			}
			if s != "" {
				cfg.specials[k] = s
			}
		}
	}
	if v, ok := raw["chat_template"]; ok {
		if cfg.template, err = templateField(v); err != nil {
			return cfg, fmt.Errorf("%s: field \"chat_template\": %w", path, err)
		}
	}
	return cfg, nil
}

// tokenContent reads a special token: "<s>", {"content": "<s>", ...} or null.
func tokenContent(v json.RawMessage) (string, error) {
	var s *string
	if err := json.Unmarshal(v, &s); err == nil {
		if s == nil {
			return "", nil
		}
		return *s, nil
	}
	var t struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(v, &t); err != nil || t.Content == nil {
		return "", errors.New("want a string or an object with \"content\"")
	}
	return *t.Content, nil
}

// templateField reads chat_template: a string, or named templates of which
// "default" is taken (transformers' rule when none is asked for by name).
func templateField(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var named []struct{ Name, Template string }
	if err := json.Unmarshal(v, &named); err != nil {
		return "", errors.New("want a string or a list of {\"name\", \"template\"}")
	}
	var names []string
	for _, n := range named {
		if n.Name == "default" {
			return n.Template, nil
		}
		names = append(names, n.Name)
	}
	return "", fmt.Errorf("no template named \"default\" among %s", strings.Join(names, ", "))
}

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Render renders messages; with addGenerationPrompt the text ends with the
// opening of an assistant turn, ready for the model to complete.
func (c *ChatTemplate) Render(msgs []Message, addGenerationPrompt bool) (string, error) {
	list := make([]any, len(msgs))
	for i, m := range msgs {
		list[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	vars := make(map[string]any, len(c.vars)+2)
	for k, v := range c.vars {
		vars[k] = v
	}
	vars["messages"] = list
	vars["add_generation_prompt"] = addGenerationPrompt
	out, err := c.tmpl.Render(vars)
	if err != nil {
		return "", fmt.Errorf("chat template %s: %w", c.Source, err)
	}
	return out, nil
}

// Split renders a conversation as a prompt and its completion, as TRL's
// apply_chat_template does for a prompt-completion example: the prompt is
// prompt rendered with the generation prompt, the completion is what
// rendering prompt+completion adds after it. A template whose rendering of
// the whole does not start with the prompt's (one that rewrites earlier
// turns) is an error, as in TRL.
func (c *ChatTemplate) Split(prompt, completion []Message) (string, string, error) {
	p, err := c.Render(prompt, true)
	if err != nil {
		return "", "", err
	}
	whole, err := c.Render(append(prompt[:len(prompt):len(prompt)], completion...), false)
	if err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(whole, p) {
		return "", "", fmt.Errorf("chat template %s: the rendered conversation %q does not start with the rendered prompt %q", c.Source, whole, p)
	}
	return p, whole[len(p):], nil
}
