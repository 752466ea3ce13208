package hub

import (
	"errors"
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Files of a dataset repository that describe it rather than hold data
// (datasets' config.REPOCARD_FILENAME and REPOYAML_FILENAME).
const (
	datasetCard     = "README.md"
	datasetCardYAML = ".huggingface.yaml"
)

// datasetConfig is one entry of a dataset card's `configs:` list, as
// datasets' MetadataConfigs reads it.
type datasetConfig struct {
	Name    string
	DataDir string // data_dir: patterns are relative to it
	Default bool   // default: true
	// Splits and Patterns are data_files sanitized (sanitize_patterns):
	// split names in the card's order, each with its patterns; nil when
	// the config names no data_files (the default patterns apply).
	Splits   []string
	Patterns map[string][]string
}

// yamlBlock is huggingface_hub's repocard.REGEX_YAML_BLOCK: the metadata
// block at the top of a README.md.
var yamlBlock = regexp.MustCompile(`^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))`)

// splitName is datasets' naming._split_re, \w being Unicode as in Python.
var splitName = regexp.MustCompile(`^[\p{L}\p{N}_]+(\.[\p{L}\p{N}_]+)*$`)

// cardConfigs reads the `configs:` of a dataset card (README.md's YAML
// block), whose top-level keys .huggingface.yaml overrides, as
// HubDatasetModuleFactoryWithoutScript merges them. Either may be nil.
func cardConfigs(readme, standalone []byte) ([]datasetConfig, error) {
	card := map[string]any{}
	if m := yamlBlock.FindSubmatch(readme); m != nil {
		var v any
		if err := yaml.Unmarshal(m[2], &v); err != nil {
			return nil, fmt.Errorf("%s: YAML metadata block: %w", datasetCard, err)
		}
		if v != nil {
			d, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: the YAML metadata block is not a mapping", datasetCard)
			}
			card = d
		}
	}
	if len(standalone) > 0 {
		var d map[string]any
		if err := yaml.Unmarshal(standalone, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", datasetCardYAML, err)
		}
		for k, v := range d {
			card[k] = v
		}
	}
	raw, ok := card["configs"]
	if !ok || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: configs: want a list, got %T", datasetCard, raw)
	}
	out := make([]datasetConfig, 0, len(list))
	seen := map[string]bool{}
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: configs[%d]: want a mapping with config_name", datasetCard, i)
		}
		name, ok := m["config_name"].(string)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: configs[%d]: each config must have a config_name", datasetCard, i)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s: configs: config_name %q given twice", datasetCard, name)
		}
		seen[name] = true
		c := datasetConfig{Name: name}
		if dir, ok := m["data_dir"].(string); ok {
			c.DataDir = dir
		}
		if d, ok := m["default"].(bool); ok {
			c.Default = d
		}
		if df, ok := m["data_files"]; ok && df != nil {
			var err error
			if c.Splits, c.Patterns, err = sanitizePatterns(df); err != nil {
				return nil, fmt.Errorf("%s: config %s: data_files: %w", datasetCard, name, err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// sanitizePatterns is data_files.sanitize_patterns after
// MetadataConfigs._raise_if_data_files_field_not_valid: a string or a
// list of strings is the train split; a list of {split, path} names the
// splits, path being a string or a list.
func sanitizePatterns(v any) ([]string, map[string][]string, error) {
	const want = "want a path, a list of paths, or a list of {split, path}"
	strs := func(v any) ([]string, bool) {
		switch x := v.(type) {
		case string:
			return []string{x}, true
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, false
				}
				out = append(out, s)
			}
			return out, true
		}
		return nil, false
	}
	if ps, ok := strs(v); ok {
		return []string{"train"}, map[string][]string{"train": ps}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, errors.New(want)
	}
	var splits []string
	patterns := map[string][]string{}
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok || len(m) != 2 {
			return nil, nil, errors.New(want)
		}
		split, ok := m["split"].(string)
		if !ok || !splitName.MatchString(split) {
			return nil, nil, fmt.Errorf("split %v: a split name is letters, digits and '_' (parts joined by '.')", m["split"])
		}
		ps, ok := strs(m["path"])
		if !ok {
			return nil, nil, fmt.Errorf("split %s: %s", split, want)
		}
		if _, dup := patterns[split]; dup {
			return nil, nil, fmt.Errorf("split %s given twice", split)
		}
		splits = append(splits, split)
		patterns[split] = ps
	}
	return splits, patterns, nil
}

// defaultConfig is MetadataConfigs.get_default_config_name: the only
// config, the one named "default", or the one marked default: true.
func defaultConfig(cs []datasetConfig) (string, error) {
	name := ""
	for _, c := range cs {
		if len(cs) == 1 || c.Name == "default" || c.Default {
			if name != "" {
				return "", fmt.Errorf("%s: several default configs: %s and %s", datasetCard, name, c.Name)
			}
			name = c.Name
		}
	}
	return name, nil
}
