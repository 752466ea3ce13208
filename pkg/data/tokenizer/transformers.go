package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// This file is the layer transformers' AutoTokenizer (4.46) puts over the
// tokenizers backend when it loads a checkpoint directory: which tokenizer
// class the directory names, what that class's __init__ rewrites in the
// backend from tokenizer_config.json, the special and added tokens that
// tokenizer_config.json, special_tokens_map.json and added_tokens.json add,
// split_special_tokens, clean_up_tokenization_spaces and the special-token
// roles. What transformers honours and gotrl does not model is a load error
// naming the file and the field, never a different tokenization.

// family is a group of tokenizer classes whose fast __init__ treats the
// backend alike.
type family int

const (
	famGeneric family = iota // PreTrainedTokenizerFast, and classes that leave the backend as it is
	famBert                  // BertTokenizerFast: rewrites the BertNormalizer from do_lower_case & co.
	famGPT2                  // GPT2TokenizerFast: rewrites ByteLevel's add_prefix_space
	famRoberta               // RobertaTokenizerFast: that, and the post-processor's add_prefix_space and trim_offsets
	famT5                    // T5TokenizerFast: add_prefix_space converts spiece.model again
)

// classFamilies are the tokenizer classes gotrl models ("Fast" removed).
// DistilBERT's and ELECTRA's fast classes are BERT's, defaults included.
var classFamilies = map[string]family{
	"PreTrainedTokenizer": famGeneric, "BertTokenizer": famBert, "DistilBertTokenizer": famBert,
	"ElectraTokenizer": famBert, "GPT2Tokenizer": famGPT2, "RobertaTokenizer": famRoberta,
	"T5Tokenizer": famT5, "MT5Tokenizer": famT5,
}

// rewritingClasses are the fast classes of transformers 4.46 whose __init__
// rewrites the backend (normalizer, pre-tokenizer, post-processor, or a
// conversion from the slow files) from their options; the ones not in
// classFamilies are refused, since their options would be silently lost.
var rewritingClasses = []string{
	"BartTokenizer", "BlenderbotTokenizer", "BloomTokenizer", "CodeGenTokenizer", "CodeLlamaTokenizer",
	"CohereTokenizer", "ConvBertTokenizer", "DebertaTokenizer", "FunnelTokenizer", "GPTNeoXTokenizer",
	"GemmaTokenizer", "LEDTokenizer", "LayoutLMTokenizer", "LayoutLMv2Tokenizer", "LayoutLMv3Tokenizer",
	"LlamaTokenizer", "LongformerTokenizer", "LxmertTokenizer", "MPNetTokenizer", "MarkupLMTokenizer",
	"MobileBertTokenizer", "MvpTokenizer", "RoFormerTokenizer", "SplinterTokenizer", "SqueezeBertTokenizer",
	"WhisperTokenizer",
}

// modelTypeClasses maps config.json's model_type to the tokenizer class
// AutoTokenizer picks (TOKENIZER_MAPPING_NAMES of transformers 4.46) for
// every model type whose class rewrites the backend; other model types get
// a class that leaves it as it is.
var modelTypeClasses = map[string]string{
	"align": "BertTokenizer", "bark": "BertTokenizer", "bart": "BartTokenizer", "bert": "BertTokenizer",
	"blenderbot": "BlenderbotTokenizer", "blip": "BertTokenizer", "blip-2": "GPT2Tokenizer", "bloom": "BloomTokenizer",
	"bridgetower": "RobertaTokenizer", "bros": "BertTokenizer", "chameleon": "LlamaTokenizer",
	"chinese_clip": "BertTokenizer", "clap": "RobertaTokenizer", "code_llama": "CodeLlamaTokenizer",
	"codegen": "CodeGenTokenizer", "cohere": "CohereTokenizer", "convbert": "ConvBertTokenizer",
	"data2vec-text": "RobertaTokenizer", "dbrx": "GPT2Tokenizer", "deberta": "DebertaTokenizer",
	"distilbert": "DistilBertTokenizer", "electra": "ElectraTokenizer", "ernie": "BertTokenizer",
	"falcon_mamba": "GPTNeoXTokenizer", "funnel": "FunnelTokenizer", "gemma": "GemmaTokenizer",
	"gemma2": "GemmaTokenizer", "git": "BertTokenizer", "gpt2": "GPT2Tokenizer", "gpt_bigcode": "GPT2Tokenizer",
	"gpt_neo": "GPT2Tokenizer", "gpt_neox": "GPTNeoXTokenizer", "gptj": "GPT2Tokenizer",
	"grounding-dino": "BertTokenizer", "ibert": "RobertaTokenizer", "idefics": "LlamaTokenizer",
	"idefics2": "LlamaTokenizer", "idefics3": "LlamaTokenizer", "instructblip": "GPT2Tokenizer",
	"instructblipvideo": "GPT2Tokenizer", "jamba": "LlamaTokenizer", "jetmoe": "LlamaTokenizer",
	"layoutlm": "LayoutLMTokenizer", "layoutlmv2": "LayoutLMv2Tokenizer", "layoutlmv3": "LayoutLMv3Tokenizer",
	"led": "LEDTokenizer", "lilt": "LayoutLMv3Tokenizer", "llama": "LlamaTokenizer", "llava": "LlamaTokenizer",
	"llava_next": "LlamaTokenizer", "llava_next_video": "LlamaTokenizer", "llava_onevision": "LlamaTokenizer",
	"longformer": "LongformerTokenizer", "longt5": "T5Tokenizer", "lxmert": "LxmertTokenizer",
	"mamba": "GPTNeoXTokenizer", "mamba2": "GPTNeoXTokenizer", "mega": "RobertaTokenizer",
	"megatron-bert": "BertTokenizer", "mistral": "LlamaTokenizer", "mixtral": "LlamaTokenizer",
	"mllama": "LlamaTokenizer", "mobilebert": "MobileBertTokenizer", "mpnet": "MPNetTokenizer",
	"mpt": "GPTNeoXTokenizer", "mra": "RobertaTokenizer", "mt5": "MT5Tokenizer", "musicgen": "T5Tokenizer",
	"musicgen_melody": "T5Tokenizer", "mvp": "MvpTokenizer", "nezha": "BertTokenizer",
	"olmo": "GPTNeoXTokenizer", "olmoe": "GPTNeoXTokenizer", "opt": "GPT2Tokenizer",
	"paligemma": "LlamaTokenizer", "persimmon": "LlamaTokenizer", "phi": "CodeGenTokenizer",
	"phi3": "LlamaTokenizer", "phimoe": "LlamaTokenizer", "pix2struct": "T5Tokenizer", "qdqbert": "BertTokenizer",
	"recurrent_gemma": "GemmaTokenizer", "roberta": "RobertaTokenizer", "roberta-prelayernorm": "RobertaTokenizer",
	"roformer": "RoFormerTokenizer", "rwkv": "GPTNeoXTokenizer", "splinter": "SplinterTokenizer",
	"squeezebert": "SqueezeBertTokenizer", "stablelm": "GPTNeoXTokenizer", "starcoder2": "GPT2Tokenizer",
	"switch_transformers": "T5Tokenizer", "t5": "T5Tokenizer", "tvp": "BertTokenizer", "umt5": "T5Tokenizer",
	"video_llava": "LlamaTokenizer", "vilt": "BertTokenizer", "vipllava": "LlamaTokenizer",
	"visual_bert": "BertTokenizer", "whisper": "WhisperTokenizer", "zamba": "LlamaTokenizer",
}

// roleNames are transformers' SPECIAL_TOKENS_ATTRIBUTES in its order, which
// is the order new special tokens get their ids.
var roleNames = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// hfToken is transformers' AddedToken as tokenizer_config.json and
// special_tokens_map.json write it.
type hfToken struct {
	Content    string `json:"content"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	SingleWord bool   `json:"single_word"`
	Normalized *bool  `json:"normalized"` // null: not special
	Special    bool   `json:"special"`
}

func (t hfToken) normalized() bool {
	return t.Normalized == nil && !t.Special || t.Normalized != nil && *t.Normalized
}

// specialValue is a special token option: a plain string, a full AddedToken
// (whose flags replace the backend's), or null.
type specialValue struct {
	tok  hfToken
	full bool
	null bool
}

func (v *specialValue) UnmarshalJSON(data []byte) error {
	switch {
	case string(data) == "null":
		v.null = true
		return nil
	case strings.HasPrefix(strings.TrimSpace(string(data)), "{"):
		v.full = true
		return json.Unmarshal(data, &v.tok)
	}
	return json.Unmarshal(data, &v.tok.Content)
}

// hfConfig is what transformers reads beside the tokenizer files.
type hfConfig struct {
	dir       string
	found     bool   // some configuration file exists: roles come from it, not from token names
	class     string // the tokenizer class, "Fast" removed; "" when nothing names one
	classFrom string // the file and field naming it, for messages
	// byModelType: only config.json's model_type names the class. The
	// vocabulary files then win: gotrl's GPT-2 checkpoints with BERT's
	// vocab.txt (as the book's Chinese GPT-2) name no tokenizer class.
	byModelType bool
	configPath  string // tokenizer_config.json
	kwargs      map[string]json.RawMessage
	roles       map[string]specialValue
	additional  []specialValue
	decoder     map[int64]hfToken // added_tokens_decoder, or the legacy added_tokens.json
	decoderOf   string            // the file decoder comes from, for messages
}

func readJSONFile(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read tokenizer config: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("read %s: %w", path, jsonPosition(data, err))
	}
	return true, nil
}

// readHFConfig reads tokenizer_config.json, config.json,
// special_tokens_map.json and added_tokens.json of dir as
// PreTrainedTokenizerBase._from_pretrained and AutoTokenizer do.
func readHFConfig(dir string) (*hfConfig, error) {
	c := &hfConfig{dir: dir, configPath: filepath.Join(dir, "tokenizer_config.json"), roles: map[string]specialValue{}}
	found, err := readJSONFile(c.configPath, &c.kwargs)
	if err != nil {
		return nil, err
	}
	c.found = found
	str := func(key string) string {
		var s string
		_ = json.Unmarshal(c.kwargs[key], &s)
		return s
	}
	if s := str("tokenizer_class"); s != "" {
		c.class, c.classFrom = s, c.configPath+" tokenizer_class"
	}
	var model struct {
		TokenizerClass string `json:"tokenizer_class"`
		ModelType      string `json:"model_type"`
	}
	modelPath := filepath.Join(dir, "config.json")
	if ok, err := readJSONFile(modelPath, &model); err != nil {
		return nil, err
	} else if ok {
		c.found = true
	}
	switch {
	case c.class != "":
	case model.TokenizerClass != "":
		c.class, c.classFrom = model.TokenizerClass, modelPath+" tokenizer_class"
	case modelTypeClasses[model.ModelType] != "":
		c.class, c.classFrom = modelTypeClasses[model.ModelType], fmt.Sprintf("%s model_type %q", modelPath, model.ModelType)
		c.byModelType = true
	}
	c.class = strings.TrimSuffix(c.class, "Fast")

	for _, role := range roleNames {
		if raw, ok := c.kwargs[role]; ok {
			var v specialValue
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("read %s: %s: %w", c.configPath, role, err)
			}
			c.roles[role] = v
		}
	}
	if raw, ok := c.kwargs["additional_special_tokens"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &c.additional); err != nil {
			return nil, fmt.Errorf("read %s: additional_special_tokens: %w", c.configPath, err)
		}
	}
	if raw, ok := c.kwargs["added_tokens_decoder"]; ok {
		// Since transformers 4.34 the decoder says it all: special_tokens_map.json
		// and added_tokens.json are not read.
		var dec map[string]hfToken
		if err := json.Unmarshal(raw, &dec); err != nil {
			return nil, fmt.Errorf("read %s: added_tokens_decoder: %w", c.configPath, err)
		}
		c.decoder, c.decoderOf = map[int64]hfToken{}, c.configPath+" added_tokens_decoder"
		for k, t := range dec {
			var id int64
			if _, err := fmt.Sscan(k, &id); err != nil {
				return nil, fmt.Errorf("read %s: added_tokens_decoder key %q: not an id", c.configPath, k)
			}
			c.decoder[id] = t
		}
		return c, nil
	}
	return c, c.readLegacy()
}

// readLegacy reads special_tokens_map.json, whose tokens override
// tokenizer_config.json's, and added_tokens.json, whose tokens are special
// when a role names them and normalized otherwise.
func (c *hfConfig) readLegacy() error {
	var stm map[string]json.RawMessage
	path := filepath.Join(c.dir, "special_tokens_map.json")
	found, err := readJSONFile(path, &stm)
	if err != nil {
		return err
	}
	c.found = c.found || found
	for _, role := range roleNames {
		if raw, ok := stm[role]; ok {
			var v specialValue
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("read %s: %s: %w", path, role, err)
			}
			if v.full {
				v.tok.Special = true
			}
			c.roles[role] = v
		}
	}
	if raw, ok := stm["additional_special_tokens"]; ok && string(raw) != "null" {
		var more []specialValue
		if err := json.Unmarshal(raw, &more); err != nil {
			return fmt.Errorf("read %s: additional_special_tokens: %w", path, err)
		}
		for _, v := range more {
			if v.full {
				v.tok.Special = true
			}
			if !slices.ContainsFunc(c.additional, func(a specialValue) bool { return a.tok.Content == v.tok.Content }) {
				c.additional = append(c.additional, v)
			}
		}
	}
	var added map[string]int64
	path = filepath.Join(c.dir, "added_tokens.json")
	found, err = readJSONFile(path, &added)
	if err != nil {
		return err
	}
	c.found = c.found || found
	if len(added) > 0 {
		names := map[string]bool{}
		for _, role := range roleNames {
			if v, ok := c.roles[role]; ok && !v.null {
				names[v.tok.Content] = true
			}
		}
		for _, v := range c.additional {
			names[v.tok.Content] = true
		}
		c.decoder, c.decoderOf = map[int64]hfToken{}, path
		for content, id := range added {
			special := names[content]
			norm := !special
			c.decoder[id] = hfToken{Content: content, Special: special, Normalized: &norm}
		}
	}
	return nil
}

// family resolves the class to one gotrl models, or refuses it. A class
// that leaves the backend as it is, is generic when the backend comes from
// tokenizer.json; without one, transformers would convert the vocabulary
// files with that class's own converter.
func (c *hfConfig) family(fromJSON bool) (family, error) {
	if c.class == "" {
		return famGeneric, nil
	}
	if f, ok := classFamilies[c.class]; ok {
		return f, nil
	}
	if slices.Contains(rewritingClasses, c.class) {
		return 0, fmt.Errorf("%s: tokenizer_class %q is not supported: transformers' %sFast rewrites the tokenizer from its options, which gotrl does not model",
			c.classFrom, c.class, c.class)
	}
	if !fromJSON {
		return 0, fmt.Errorf("%s: tokenizer_class %q is not supported without tokenizer.json: gotrl converts vocabulary files as BertTokenizer, GPT2Tokenizer, RobertaTokenizer and T5Tokenizer do",
			c.classFrom, c.class)
	}
	return famGeneric, nil
}

func (c *hfConfig) boolOption(key string, def bool) (bool, error) {
	raw, ok := c.kwargs[key]
	if !ok || string(raw) == "null" {
		return def, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return def, fmt.Errorf("read %s: %s: want true or false: %w", c.configPath, key, err)
	}
	return b, nil
}

// optBoolOption reads an option whose null (or absence) means "follow another one".
func (c *hfConfig) optBoolOption(key string) (*bool, error) {
	raw, ok := c.kwargs[key]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	b, err := c.boolOption(key, false)
	return &b, err
}

// role is the token of a role: the configuration's, else the class default.
func (c *hfConfig) role(fam family, name string) (specialValue, bool) {
	if v, ok := c.roles[name]; ok {
		return v, !v.null
	}
	def := classDefaults[fam][name]
	if def == "" {
		return specialValue{}, false
	}
	v := specialValue{tok: hfToken{Content: def}}
	if fam == famRoberta && name == "mask_token" {
		// RobertaTokenizerFast wraps a plain <mask> so that it takes the space before it.
		f := false
		v = specialValue{tok: hfToken{Content: def, Lstrip: true, Normalized: &f}, full: true}
	}
	return v, true
}

// classDefaults are the special tokens of each class's __init__ signature.
var classDefaults = map[family]map[string]string{
	famBert: {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"},
	famGPT2: {"unk_token": "<|endoftext|>", "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
	famRoberta: {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
		"pad_token": "<pad>", "mask_token": "<mask>"},
	famT5: {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"},
}

// roleContent is the token content of a role, "" when there is none.
func (c *hfConfig) roleContent(fam family, name string) string {
	v, ok := c.role(fam, name)
	if !ok {
		return ""
	}
	return v.tok.Content
}

// apply does what the class's __init__ and PreTrainedTokenizerFast's do to
// the backend p. fromJSON says p came from tokenizer.json (not converted
// from vocabulary files).
func (c *hfConfig) apply(p *pipelineParts, fam family, fromJSON bool) error {
	if err := c.rewrite(p, fam); err != nil {
		return err
	}
	if err := c.addTokens(p, fam); err != nil {
		return err
	}
	for _, t := range []*template{p.template} {
		if t == nil {
			continue
		}
		for _, items := range [][]templateItem{t.single, t.pair} {
			for i := range items {
				if items[i].special != "" && items[i].id < 0 {
					id, ok := partsID(p, items[i].special)
					if !ok {
						return fmt.Errorf("%s: special token %q of the template is not in the vocabulary", c.dir, items[i].special)
					}
					items[i].id = id
				}
			}
		}
	}
	split, err := c.boolOption("split_special_tokens", false)
	if err != nil {
		return err
	}
	p.splitSpecial = split
	// BertTokenizer (the slow class a vocab.txt is converted from) cleans
	// up by default; transformers' base class, and so every tokenizer.json, does not.
	if p.cleanup, err = c.boolOption("clean_up_tokenization_spaces", fam == famBert && !fromJSON); err != nil {
		return err
	}
	// Roles come from the class and the configuration; where neither names
	// any (a bare tokenizer.json, or PreTrainedTokenizerFast with no special
	// token named, where transformers has no pad or eos token at all) they
	// are guessed from the added tokens' names, which commands need.
	if fam != famGeneric || len(c.roles) > 0 {
		p.roles = map[string]int64{}
		for _, name := range roleNames {
			id := int64(-1)
			if content := c.roleContent(fam, name); content != "" {
				id, _ = partsID(p, content)
			}
			p.roles[name] = id
		}
	}
	return nil
}

// rewrite is the class __init__'s rewrite of the backend from its options.
func (c *hfConfig) rewrite(p *pipelineParts, fam family) error {
	switch fam {
	case famBert:
		n, ok := p.normalizer.(*bertNormalizer)
		if p.normalizer == nil {
			return fmt.Errorf("%s: %s needs a BertNormalizer (transformers fails reading the normalizer)", c.classFrom, c.class)
		}
		if !ok {
			return nil // a Sequence has none of the fields the class compares
		}
		lower, err := c.boolOption("do_lower_case", true)
		if err != nil {
			return err
		}
		strip, err := c.optBoolOption("strip_accents")
		if err != nil {
			return err
		}
		chinese, err := c.boolOption("tokenize_chinese_chars", true)
		if err != nil {
			return err
		}
		if n.lowercase != lower || !equalOpt(n.stripOpt, strip) || n.chineseChars != chinese {
			m := *n
			m.lowercase, m.stripOpt, m.chineseChars = lower, strip, chinese
			m.stripAccents = lower
			if strip != nil {
				m.stripAccents = *strip
			}
			p.normalizer = &m
		}
	case famGPT2, famRoberta:
		prefix, err := c.boolOption("add_prefix_space", false)
		if err != nil {
			return err
		}
		if p.byteLevel {
			p.prefix = prefix
		}
		if fam == famRoberta && (p.postKind == "ByteLevel" || p.postKind == "RobertaProcessing") {
			trim, err := c.boolOption("trim_offsets", true)
			if err != nil {
				return err
			}
			if p.template == nil {
				p.template = &template{}
			}
			p.template.trim, p.template.trimPrefix = trim, prefix
		}
	}
	return nil
}

// fits says whether the backend p is of the kind the family's class
// expects. A class guessed from config.json's model_type alone yields to a
// tokenizer.json of another kind (a WordPiece tokenizer copied into a GPT-2
// checkpoint): transformers would add GPT-2's <|endoftext|> to it.
func fits(p *pipelineParts, fam family) bool {
	switch fam {
	case famBert:
		_, ok := p.model.(*wordPiece)
		return ok
	case famGPT2, famRoberta:
		return p.byteLevel
	case famT5:
		_, ok := p.model.(*unigram)
		return ok
	}
	return true
}

func equalOpt(a, b *bool) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// partsID is the id of tok among p's added tokens, else in its vocabulary.
func partsID(p *pipelineParts, tok string) (int64, bool) {
	for _, a := range p.added {
		if a.content == tok {
			return a.id, true
		}
	}
	id, ok := p.vocab[tok]
	return id, ok
}

// addTokens is the end of PreTrainedTokenizerFast.__init__: the entries of
// added_tokens_decoder that differ from the backend's added tokens, then the
// special tokens (full AddedTokens always, plain strings when no added token
// has their content) are added as tokenizers' add_tokens does: a known
// content keeps its id and takes the new flags, a new one gets the next id.
func (c *hfConfig) addTokens(p *pipelineParts, fam family) error {
	specials := map[string]bool{}
	var extended []specialValue
	for _, name := range roleNames {
		if v, ok := c.role(fam, name); ok {
			extended = append(extended, v)
		}
	}
	extended = append(extended, c.additional...)
	for _, v := range extended {
		specials[v.tok.Content] = true
	}
	// A plain role token named in the decoder is that AddedToken.
	byContent := map[string]hfToken{}
	for _, t := range c.decoder {
		byContent[t.Content] = t
	}
	for i, v := range extended {
		if t, ok := byContent[v.tok.Content]; ok && !v.full {
			extended[i] = specialValue{tok: t, full: true}
		}
	}

	backend := make(map[string]addedToken, len(p.added))
	for _, a := range p.added {
		backend[a.content] = a
	}
	identical := func(t hfToken) bool {
		a, ok := backend[t.Content]
		return ok && a.lstrip == t.Lstrip && a.rstrip == t.Rstrip && a.normalized == t.normalized() && a.special == t.Special && !t.SingleWord
	}
	var toAdd []hfToken
	ids := make([]int64, 0, len(c.decoder))
	for id := range c.decoder {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if t := c.decoder[id]; !identical(t) {
			toAdd = append(toAdd, t)
		}
	}
	queued := map[string]bool{}
	for _, t := range toAdd {
		queued[t.Content] = true
	}
	for _, v := range extended {
		_, added := backend[v.tok.Content]
		switch {
		case v.full:
			toAdd = append(toAdd, v.tok)
		case !added && !queued[v.tok.Content]:
			t := v.tok
			t.Special = specials[t.Content]
			toAdd = append(toAdd, t)
			queued[t.Content] = true
		}
	}
	for _, t := range toAdd {
		t.Special = t.Special || specials[t.Content]
		if err := c.addToken(p, t); err != nil {
			return err
		}
	}
	return nil
}

func (c *hfConfig) addToken(p *pipelineParts, t hfToken) error {
	if t.Content == "" {
		return nil
	}
	if t.SingleWord {
		return fmt.Errorf("%s: token %q: single_word is not supported", c.configSource(), t.Content)
	}
	p.addToken(addedToken{content: t.Content, special: t.Special, lstrip: t.Lstrip, rstrip: t.Rstrip, normalized: t.normalized()})
	return nil
}

func (c *hfConfig) configSource() string {
	if c.decoderOf != "" {
		return c.decoderOf
	}
	return c.configPath
}
