package lora

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gotrl/gotrl/pkg/models/layers"
	"github.com/gotrl/gotrl/pkg/models/nn"
)

// AllLinear is PEFT's target_modules shorthand for every Linear and
// Conv1D but the output layer (INCLUDE_LINEAR_LAYERS_SHORTHAND).
const AllLinear = "all-linear"

// seqClsHeads are the classifier heads PEFT keeps out of "all-linear" for a
// SEQ_CLS adapter, and adds to its modules_to_save (SEQ_CLS_HEAD_NAMES).
var seqClsHeads = []string{"score", "classifier"}

// selector decides which modules a Config adapts, and with which r and
// alpha, as PEFT 0.13.2 does (check_target_module_exists and
// LoraModel._create_and_replace). Python's re and Go's regexp agree on
// the patterns module names need; one Go cannot compile is refused.
type selector struct {
	cfg    Config
	regex  *regexp.Regexp   // target_modules as a string, full match
	layers []*regexp.Regexp // the layer index of a name, in group 1
	keys   []patternKey     // rank_pattern then alpha_pattern keys
}

// patternKey is one rank_pattern or alpha_pattern key, compiled as PEFT
// matches it: re.match(rf".*\.{key}$", name).
type patternKey struct {
	key string
	re  *regexp.Regexp
}

// compile compiles a pattern from adapter_config.json field, first alone
// (so that its parentheses cannot pair with the wrapper's) then wrapped.
func compile(field, pattern, wrapped string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, fmt.Errorf("lora config: %s %q: %w", field, pattern, err)
	}
	re, err := regexp.Compile(wrapped)
	if err != nil {
		return nil, fmt.Errorf("lora config: %s %q: %w", field, pattern, err)
	}
	return re, nil
}

func newSelector(c Config) (*selector, error) {
	s := &selector{cfg: c}
	if c.TargetRegex != "" {
		if len(c.Targets) > 0 {
			return nil, fmt.Errorf("lora config: target_modules is both a list and a string")
		}
		// PEFT's LoraConfig.__post_init__ refuses these with a regex.
		if c.LayersToTransform != nil || c.LayersPattern != nil {
			return nil, fmt.Errorf("lora config: layers_to_transform and layers_pattern cannot be used when target_modules is a string")
		}
		if !strings.EqualFold(c.TargetRegex, AllLinear) {
			re, err := compile("target_modules", c.TargetRegex, `^(?:`+c.TargetRegex+`)$`)
			if err != nil {
				return nil, err
			}
			s.regex = re
		}
	}
	if len(c.LayersToTransform) > 0 {
		if len(c.LayersPattern) == 0 {
			s.layers = []*regexp.Regexp{regexp.MustCompile(`^(?:.*\.[^.]*\.(\d+)\.)`)}
		}
		for _, p := range c.LayersPattern {
			re, err := compile("layers_pattern", p, `^(?:.*\.`+p+`\.(\d+)\.)`)
			if err != nil {
				return nil, err
			}
			s.layers = append(s.layers, re)
		}
	}
	for i, p := range []Pattern{c.RankPattern, c.AlphaPattern} {
		field := [...]string{"rank_pattern", "alpha_pattern"}[i]
		for _, e := range p {
			switch {
			case i == 0 && (e.Value < 1 || e.Value != float64(int(e.Value))):
				return nil, fmt.Errorf("lora config: rank_pattern[%q] = %g, want an integer ≥ 1", e.Key, e.Value)
			case i == 1 && e.Value <= 0:
				return nil, fmt.Errorf("lora config: alpha_pattern[%q] = %g, want > 0", e.Key, e.Value)
			}
			re, err := compile(field, e.Key, `^(?:.*\.`+e.Key+`$)`)
			if err != nil {
				return nil, err
			}
			s.keys = append(s.keys, patternKey{e.Key, re})
		}
	}
	return s, nil
}

// rankAlpha is the r and alpha of module name. PEFT takes the first key,
// of rank_pattern then alpha_pattern, that matches the name, and looks
// that one key up in both: a module matched first by a rank_pattern key
// keeps lora_alpha even when an alpha_pattern key matches it too.
func (s *selector) rankAlpha(name string) (int, float64) {
	r, alpha := s.cfg.R, s.cfg.Alpha
	for _, k := range s.keys {
		if k.re.MatchString(name) {
			if v, ok := s.cfg.RankPattern.Get(k.key); ok {
				r = int(v)
			}
			if v, ok := s.cfg.AlphaPattern.Get(k.key); ok {
				alpha = v
			}
			break
		}
	}
	return r, alpha
}

// saved reports whether module is, or is inside, a module PEFT wraps as
// one of modules_to_save: one whose name ends with an entry (no dot
// needed). Such a module is saved whole and not adapted.
func (c Config) saved(module string) bool {
	for i := len(module); i > 0; i = strings.LastIndexByte(module[:i], '.') {
		mod := module[:i]
		if slices.ContainsFunc(c.ModulesToSave, func(m string) bool { return strings.HasSuffix(mod, m) }) {
			return true
		}
	}
	return false
}

// tiedEmbeddings are the input embeddings gotrl's families share with
// other modules: the output layer when tie_word_embeddings (GPT-2's wte,
// BERT's word_embeddings, T5's shared) and T5's encoder and decoder
// embed_tokens.
var tiedEmbeddings = []string{"wte", "word_embeddings", "shared", "embed_tokens"}

// checkSaved refuses a modules_to_save entry naming a tied embedding:
// PEFT trains a copy of the module, while the modules sharing its weight
// keep the original; gotrl's store holds one weight for all of them.
func (s *selector) checkSaved(store *nn.Store) error {
	for _, v := range store.Vars() {
		i := strings.LastIndexByte(v.Name, '.')
		if i < 0 {
			continue
		}
		mod := v.Name[:i]
		if s.cfg.saved(mod) && slices.Contains(tiedEmbeddings, mod[strings.LastIndexByte(mod, '.')+1:]) {
			return fmt.Errorf("lora: modules_to_save %v names %s, an embedding the model shares with other modules: "+
				"peft trains a copy of it that those modules do not use, which gotrl does not build", s.cfg.ModulesToSave, mod)
		}
	}
	return nil
}

// targets returns the Linear and Conv1D modules of store to adapt; with
// each, every entry of a list target_modules must match one.
func (s *selector) targets(store *nn.Store, each bool) ([]nn.NamedModule, error) {
	switch {
	case s.regex != nil:
		return s.regexTargets(store)
	case s.cfg.TargetRegex != "": // all-linear
		return s.listTargets(store, s.allLinear(store), false)
	}
	return s.listTargets(store, s.cfg.Targets, each)
}

// listTargets is PEFT's rule for a list: a module whose name is a target
// is adapted; one whose name ends with "." + a target is adapted when
// its layer is in layers_to_transform (or that is unset). PEFT requires
// one match in all; with each, every target must match (a typo in a
// training flag is caught).
func (s *selector) listTargets(store *nn.Store, list []string, each bool) ([]nn.NamedModule, error) {
	var out []nn.NamedModule
	used := make([]bool, len(list))
	for _, nm := range store.Modules() {
		if s.cfg.saved(nm.Name) {
			continue
		}
		if i := slices.Index(list, nm.Name); i >= 0 {
			used[i] = true
			out = append(out, nm)
			continue
		}
		i := slices.IndexFunc(list, func(t string) bool { return strings.HasSuffix(nm.Name, "."+t) })
		if i < 0 {
			continue
		}
		ok, err := s.inLayers(nm.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			used[i] = true
			out = append(out, nm)
		}
	}
	where := ""
	if len(s.cfg.LayersToTransform) > 0 {
		where = fmt.Sprintf(" in layers_to_transform %v", s.cfg.LayersToTransform)
	}
	if !each && len(out) == 0 {
		return nil, fmt.Errorf("lora: target_modules %q matches no Linear or Conv1D%s; available: %s",
			list, where, strings.Join(moduleNames(store), ", "))
	}
	for i, ok := range used {
		if each && !ok {
			return nil, fmt.Errorf("lora: target_modules[%d] %q matches no Linear or Conv1D%s; available: %s",
				i, list[i], where, strings.Join(moduleNames(store), ", "))
		}
	}
	return out, nil
}

// inLayers reports whether name's layer index is in layers_to_transform
// (true when that is unset); a name with no index is not.
func (s *selector) inLayers(name string) (bool, error) {
	if len(s.layers) == 0 {
		return true, nil
	}
	for _, re := range s.layers {
		m := re.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if len(m) < 2 {
			return false, fmt.Errorf("lora config: layers_pattern %q captures no layer index", s.cfg.LayersPattern)
		}
		i, err := strconv.Atoi(m[1])
		if err != nil {
			return false, fmt.Errorf("lora config: layers_pattern %v: layer index %q of %s: %w", s.cfg.LayersPattern, m[1], name, err)
		}
		return slices.Contains(s.cfg.LayersToTransform, i), nil
	}
	return false, nil
}

// regexTargets full-matches the regex against every module name PEFT
// would see: the Linear and Conv1D layers, and the modules holding other
// parameters or layers (embeddings, norms, blocks). PEFT adapts or
// refuses a match of the latter; gotrl cannot adapt it, so refuses.
func (s *selector) regexTargets(store *nn.Store) ([]nn.NamedModule, error) {
	var out []nn.NamedModule
	adaptable := map[string]bool{}
	for _, nm := range store.Modules() {
		adaptable[nm.Name] = true
		if s.regex.MatchString(nm.Name) && !s.cfg.saved(nm.Name) {
			out = append(out, nm)
		}
	}
	others := map[string]bool{}
	addParents := func(name string) {
		for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
			others[name[:i]] = true
		}
	}
	for _, v := range store.Vars() {
		addParents(v.Name)
	}
	for _, nm := range store.Modules() {
		addParents(nm.Name)
	}
	var bad []string
	for name := range others {
		if !adaptable[name] && s.regex.MatchString(name) && !s.cfg.saved(name) {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("lora: target_modules %q matches %s, which is not a Linear or Conv1D (gotrl adapts only those)",
			s.cfg.TargetRegex, strings.Join(bad, ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lora: target_modules %q matches no Linear or Conv1D; available: %s",
			s.cfg.TargetRegex, strings.Join(moduleNames(store), ", "))
	}
	return out, nil
}

// allLinear is what PEFT turns "all-linear" into: the last name component
// of every Linear and Conv1D, without the output layer (gotrl registers
// no tied output layer) and, for SEQ_CLS, without the classifier head.
func (s *selector) allLinear(store *nn.Store) []string {
	var names []string
	for _, nm := range store.Modules() {
		switch nm.Module.(type) {
		case *layers.Linear, *layers.Conv1D:
			base := nm.Name[strings.LastIndexByte(nm.Name, '.')+1:]
			if !slices.Contains(names, base) {
				names = append(names, base)
			}
		}
	}
	if s.cfg.TaskType == TaskSeqCls {
		for _, h := range seqClsHeads {
			if slices.ContainsFunc(store.Modules(), func(nm nn.NamedModule) bool { return nm.Name == h }) {
				names = slices.DeleteFunc(names, func(n string) bool { return n == h })
				break
			}
		}
	}
	return names
}
