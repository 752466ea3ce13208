package hub

import (
	"fmt"
	"strings"
)

// datasetLayout is what load_dataset(id, name=config) decides for a
// repository without a loading script, from its file list (sorted) and
// its card's configs: the config used, its format (datasets' module) and
// the files of each of its splits. Splits whose patterns match no data
// file are left out.
func datasetLayout(files []string, configs []datasetConfig, config string) (name, module string, s splitFiles, err error) {
	// The format comes from the first config's data_files, or from the
	// default patterns over the whole repository, as get_module infers it.
	var names []string
	var patterns map[string][]string
	if len(configs) > 0 && configs[0].Patterns != nil {
		names, patterns = configs[0].Splits, configs[0].Patterns
	} else if names, patterns, err = dataPatterns(files, ""); err != nil {
		return "", "", s, err
	}
	all, err := resolveSplits(files, "", names, patterns)
	if err != nil {
		return "", "", s, err
	}
	if module, err = inferModule(all); err != nil {
		return "", "", s, err
	}
	s = all
	if len(configs) == 0 {
		if config != "" && config != "default" {
			return "", "", s, fmt.Errorf("no config %q: the dataset card names no configs (there is only the default one)", config)
		}
	} else {
		if name, err = pickConfig(configs, config); err != nil {
			return "", "", s, err
		}
		c := configs[0]
		for _, x := range configs {
			if x.Name == name {
				c = x
			}
		}
		names, patterns = c.Splits, c.Patterns
		if patterns == nil {
			if names, patterns, err = dataPatterns(files, c.DataDir); err != nil {
				return "", "", s, fmt.Errorf("config %s: %w", name, err)
			}
		}
		if s, err = resolveSplits(files, c.DataDir, names, patterns); err != nil {
			return "", "", s, fmt.Errorf("config %s: %w", name, err)
		}
	}
	if !readableModules[module] {
		return "", "", s, fmt.Errorf("its data files are %s (%s): gotrl reads parquet, json/jsonl, csv/tsv, txt and arrow", module, sample(s))
	}
	s = keepModule(s, module)
	kept := splitFiles{files: s.files}
	for _, split := range s.names {
		for _, f := range s.files[split] {
			if strings.HasSuffix(f, ".zip") {
				return "", "", s, fmt.Errorf("%s: zip archives are not read; unpack it, or use the repository's parquet files", f)
			}
		}
		if len(s.files[split]) > 0 {
			kept.names = append(kept.names, split)
		}
	}
	return name, module, kept, nil
}

// pickConfig is the config name load_dataset uses: the one asked for, or
// the card's default.
func pickConfig(configs []datasetConfig, want string) (string, error) {
	var names []string
	for _, c := range configs {
		if c.Name == want {
			return want, nil
		}
		names = append(names, c.Name)
	}
	if want != "" {
		return "", fmt.Errorf("no config %q; the configs are %s", want, strings.Join(names, ", "))
	}
	def, err := defaultConfig(configs)
	if err != nil {
		return "", err
	}
	if def == "" {
		return "", fmt.Errorf("the dataset has several configs and none is the default: pick one of %s", strings.Join(names, ", "))
	}
	return def, nil
}

// sample names a few of the files, for an error.
func sample(s splitFiles) string {
	var out []string
	for _, split := range s.names {
		for _, f := range s.files[split] {
			if len(out) == 3 {
				return strings.Join(out, ", ") + ", …"
			}
			out = append(out, f)
		}
	}
	return strings.Join(out, ", ")
}
