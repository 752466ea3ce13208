package hub

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/gotrl/gotrl/pkg/data/datafiles"
)

// How datasets 3.x (data_files.py, load.py, packaged_modules) finds the
// data files of each split in a repository without a loading script.

// Split keywords and their separators (SPLIT_KEYWORDS, NON_WORDS_CHARS).
var (
	defaultSplits = []string{"train", "validation", "test"}
	splitKeywords = map[string][]string{
		"train":      {"train", "training"},
		"validation": {"validation", "valid", "dev", "val"},
		"test":       {"test", "testing", "eval", "evaluation"},
	}
)

const nonWordChars = "-._ 0-9"

// shardedPattern is SPLIT_PATTERN_SHARDED: data/train-00000-of-00002.parquet.
const shardedPattern = "data/{split}-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*"

// keywordPatterns builds DEFAULT_PATTERNS_SPLIT_IN_DIR_NAME or
// _IN_FILENAME from the fsspec ≥ 2023.12 base patterns.
func keywordPatterns(bases ...string) map[string][]string {
	out := map[string][]string{}
	for _, split := range defaultSplits {
		for _, kw := range splitKeywords[split] {
			for _, b := range bases {
				out[split] = append(out[split], strings.NewReplacer("{keyword}", kw, "{sep}", nonWordChars).Replace(b))
			}
		}
	}
	return out
}

// defaultPatterns is ALL_DEFAULT_PATTERNS, tried in order: split in a
// directory name, split in the file name, then every file is train.
var defaultPatterns = []map[string][]string{
	keywordPatterns("**/{keyword}/**", "**/{keyword}[{sep}]*/**", "**/*[{sep}]{keyword}/**", "**/*[{sep}]{keyword}[{sep}]*/**"),
	keywordPatterns("**/{keyword}[{sep}]*", "**/*[{sep}]{keyword}[{sep}]*"),
	{"train": {"**"}},
}

// Data file formats: packaged_modules._EXTENSION_TO_MODULE. Image and
// audio extensions count (a repository of images is an imagefolder, not
// a text data set), in lower and upper case as there.
var extensionModule = func() map[string]string {
	m := map[string]string{
		".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json",
		".parquet": "parquet", ".geoparquet": "parquet", ".gpq": "parquet", ".arrow": "arrow",
		".txt": "text", ".tar": "webdataset",
	}
	images := ".blp .bmp .dib .bufr .cur .pcx .dcx .dds .ps .eps .fit .fits .fli .flc .ftc .ftu .gbr .gif .grib .h5 .hdf .png .apng .jp2 .j2k .jpc .jpf .jpx .j2c .icns .ico .im .iim .tif .tiff .jfif .jpe .jpg .jpeg .mpg .mpeg .msp .pcd .pxr .pbm .pgm .ppm .pnm .psd .bw .rgb .rgba .sgi .ras .tga .icb .vda .vst .webp .wmf .emf .xbm .xpm"
	audios := ".aiff .au .avr .caf .flac .htk .svx .mat4 .mat5 .mpc2k .ogg .paf .pvf .raw .rf64 .sd2 .sds .ircam .voc .w64 .wav .nist .wavex .wve .xi .mp3 .opus"
	for module, exts := range map[string]string{"imagefolder": images, "audiofolder": audios} {
		for _, e := range strings.Fields(exts) {
			m[e], m[strings.ToUpper(e)] = module, module
		}
	}
	return m
}()

// readableModules are the formats gotrl's data readers take.
var readableModules = map[string]bool{"json": true, "csv": true, "parquet": true, "text": true, "arrow": true}

const maxFilesForInference = 200 // config.DATA_FILES_MAX_NUMBER_FOR_MODULE_INFERENCE

// hasDataExtension is resolve_pattern's allowed_extensions test: one of
// the name's dot-suffixes is a data format's (or ".zip").
func hasDataExtension(name string) bool {
	for _, s := range strings.Split(name, ".")[1:] {
		if _, ok := extensionModule["."+s]; ok || s == "zip" {
			return true
		}
	}
	return false
}

// splitFiles is a config's splits: names in datasets' order, each with
// its files (repository paths).
type splitFiles struct {
	names []string
	files map[string][]string
}

// dataPatterns is get_data_patterns: the first rule that finds files
// under base decides the splits and their patterns.
func dataPatterns(files []string, base string) ([]string, map[string][]string, error) {
	sharded, err := resolvePattern(files, base, strings.ReplaceAll(shardedPattern, "{split}", "*"), false)
	if err != nil {
		return nil, nil, err
	}
	if len(sharded) > 0 {
		re := regexp.MustCompile(globToPyRegex(path.Base(shardedPattern)))
		seen := map[string]bool{}
		for _, f := range sharded {
			m := re.FindStringSubmatch(path.Base(f))
			if m == nil {
				continue
			}
			if !splitName.MatchString(m[1]) {
				return nil, nil, fmt.Errorf("%s: split name %q (from the file name): a split name is letters, digits and '_'", f, m[1])
			}
			seen[m[1]] = true
		}
		var names, others []string
		for _, s := range defaultSplits {
			if seen[s] {
				names = append(names, s)
				delete(seen, s)
			}
		}
		for s := range seen {
			others = append(others, s)
		}
		sort.Strings(others)
		names = append(names, others...)
		patterns := map[string][]string{}
		for _, s := range names {
			patterns[s] = []string{strings.ReplaceAll(shardedPattern, "{split}", s)}
		}
		return names, patterns, nil
	}
	for _, rule := range defaultPatterns {
		var names []string
		for _, split := range defaultSplits {
			for _, p := range rule[split] {
				got, err := resolvePattern(files, base, p, false)
				if err != nil {
					return nil, nil, err
				}
				if len(got) > 0 {
					names = append(names, split)
					break
				}
			}
		}
		if len(names) > 0 {
			return names, rule, nil
		}
	}
	where := "the repository"
	if base != "" {
		where = base + "/"
	}
	return nil, nil, fmt.Errorf("no data files in %s", where)
}

// globToPyRegex is datasets' glob_pattern_to_regex with "{split}" as the
// group string_to_dict extracts: "{split}-[0-9]…*.*" → "(.+)-[0-9]….*\..*".
func globToPyRegex(p string) string {
	r := strings.NewReplacer(`\`, `\\`, ".", `\.`, "*", ".*", "+", `\+`, "(", `\(`, ")", `\)`, "|", `\|`, "^", `\^`, "$", `\$`, "?", ".").Replace(p)
	return strings.Replace(r, "{split}", "(.+)", 1)
}

// resolveSplits is DataFilesDict.from_patterns: each split's patterns
// resolved (a pattern without a wildcard must match), data files only,
// in pattern order without repeats.
func resolveSplits(files []string, base string, names []string, patterns map[string][]string) (splitFiles, error) {
	out := splitFiles{files: map[string][]string{}}
	for _, split := range names {
		seen := map[string]bool{}
		for _, p := range patterns[split] {
			got, err := resolvePattern(files, base, p, true)
			if err != nil {
				return out, err
			}
			if len(got) == 0 && !datafiles.IsPattern(p) {
				return out, fmt.Errorf("split %s: no data file %s in the repository", split, path.Join(base, p))
			}
			for _, f := range got {
				if !seen[f] {
					seen[f] = true
					out.files[split] = append(out.files[split], f)
				}
			}
		}
		out.names = append(out.names, split)
	}
	return out, nil
}

// inferModule is infer_module_for_data_files: per split, the format of
// the most common extension among its first files (metadata files last,
// ".parquet" winning a tie); every split must agree.
func inferModule(s splitFiles) (string, error) {
	module := ""
	for i, split := range s.names {
		m := inferModuleList(s.files[split])
		if i > 0 && m != module {
			return "", fmt.Errorf("split %s is %s and split %s is %s: datasets refuses mixed formats too", s.names[0], orNone(module), split, orNone(m))
		}
		module = m
	}
	if module == "" {
		return "", errors.New("no data files of a known format")
	}
	return module, nil
}

func orNone(m string) string {
	if m == "" {
		return "no known format"
	}
	return m
}

func inferModuleList(files []string) string {
	type key struct {
		ext      string
		metadata bool
	}
	counts := map[key]int{}
	for _, f := range files[:min(len(files), maxFilesForInference)] {
		name := path.Base(f)
		for _, s := range strings.Split(name, ".")[1:] {
			counts[key{"." + strings.ToLower(s), name == "metadata.jsonl" || name == "metadata.csv"}]++
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	// sort_key, reversed: not metadata, count, .parquet, then the extension
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.metadata != b.metadata:
			return !a.metadata
		case counts[a] != counts[b]:
			return counts[a] > counts[b]
		case (a.ext == ".parquet") != (b.ext == ".parquet"):
			return a.ext == ".parquet"
		}
		return a.ext > b.ext
	})
	for _, k := range keys {
		if m, ok := extensionModule[k.ext]; ok {
			return m
		}
		if k.ext == ".zip" {
			return "zip"
		}
	}
	return ""
}

// keepModule is DataFilesDict.filter_extensions with the module's
// extensions: a file whose name has one of them as a suffix, a
// compression suffix or any other after it allowed (train.jsonl.gz).
func keepModule(s splitFiles, module string) splitFiles {
	var exts []string
	for e, m := range extensionModule {
		if m == module {
			exts = append(exts, regexp.QuoteMeta(e))
		}
	}
	sort.Strings(exts)
	exts = append(exts, `\.zip`)
	re := regexp.MustCompile(`^.*(` + strings.Join(exts, "|") + `)(\..+)?$`)
	out := splitFiles{names: s.names, files: map[string][]string{}}
	for _, split := range s.names {
		for _, f := range s.files[split] {
			if re.MatchString(f) {
				out.files[split] = append(out.files[split], f)
			}
		}
	}
	return out
}
