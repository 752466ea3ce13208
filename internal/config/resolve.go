package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/gotrl/gotrl/pkg/models/weights/safetensors"
)

// Read decodes a YAML file over cfg (which holds the defaults); unknown
// keys are errors naming the file and line, and a flag alias used as a
// key or a TRL / transformers setting gotrl lacks (Unsupported) says what
// to use instead.
func Read(path string, cfg any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := UnknownKeys(b, cfg); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := Check(cfg); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Check refuses values in cfg that no flag would accept, naming the key:
// NaN, ±Inf and numbers below the field's bound (see the package doc),
// and a choice (a string type with Validate) outside its choices; an empty
// choice is left to the command, as it may mean "the default". Read
// applies it; so must any other decoder of a config (the pipeline's
// sections).
func Check(cfg any) error {
	return walk(reflect.ValueOf(cfg).Elem(), func(f reflect.StructField, fv reflect.Value, key string) error {
		if fv.Kind() == reflect.String {
			if fv.String() == "" {
				return nil
			}
			if err := validate(fv); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			return nil
		}
		min, err := bound(f)
		if err != nil {
			return err
		}
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				return nil
			}
			fv = fv.Elem()
		}
		var nums []reflect.Value
		switch {
		case fv.Kind() == reflect.Slice:
			for i := range fv.Len() {
				nums = append(nums, fv.Index(i))
			}
		default:
			nums = []reflect.Value{fv}
		}
		for _, n := range nums {
			var x float64
			switch n.Kind() {
			case reflect.Float64:
				x = n.Float()
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return fmt.Errorf("%s: %v is not a finite number", key, x)
				}
			case reflect.Int, reflect.Int64:
				x = float64(n.Int())
			default:
				continue
			}
			if err := checkMin(x, min); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
		return nil
	})
}

// Write saves cfg as YAML at path, atomically.
func Write(path string, cfg any) error {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Resolve builds cfg in priority order: reset() restores the defaults,
// then each file in files is read over them (a resumed run's config.yaml,
// then --config; "" entries are skipped), then the flags the user set on
// fs are applied again on top (pflag wrote them into cfg already; reset
// and the files overwrote them). A file's error names its flag: files[i]
// comes with names[i].
func Resolve(fs *pflag.FlagSet, cfg any, reset func(), files []string, names []string) error {
	type setting struct {
		f     *pflag.Flag
		value string
		slice []string
	}
	var set []setting
	fs.Visit(func(f *pflag.Flag) {
		s := setting{f: f, value: f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			s.slice = sv.GetSlice()
		}
		set = append(set, s)
	})
	reset()
	for i, file := range files {
		if file == "" {
			continue
		}
		if err := Read(file, cfg); err != nil {
			return fmt.Errorf("%s: %w", names[i], err)
		}
	}
	for _, s := range set {
		var err error
		if sv, ok := s.f.Value.(pflag.SliceValue); ok {
			err = sv.Replace(s.slice)
		} else {
			err = s.f.Value.Set(s.value)
		}
		if err != nil {
			return fmt.Errorf("--%s: %w", s.f.Name, err)
		}
	}
	return nil
}

// Diff lists the YAML keys whose values differ between two configs of one
// type, with both values ("learning_rate: 0.0001 → 0.001"), sorted; keys
// in ignore are skipped.
func Diff(was, now any, ignore ...string) []string {
	a, b := flatten(was), flatten(now)
	var out []string
	for k, va := range a {
		if vb := b[k]; va != vb && !slices.Contains(ignore, k) {
			out = append(out, fmt.Sprintf("%s: %s → %s", k, va, vb))
		}
	}
	for k, vb := range b {
		if _, ok := a[k]; !ok && !slices.Contains(ignore, k) {
			out = append(out, fmt.Sprintf("%s: (unset) → %s", k, vb))
		}
	}
	sort.Strings(out)
	return out
}

// flatten maps each leaf key of cfg's YAML form to its value's YAML text.
func flatten(cfg any) map[string]string {
	out := map[string]string{}
	_ = walk(reflect.ValueOf(cfg).Elem(), func(_ reflect.StructField, fv reflect.Value, key string) error {
		b, _ := yaml.Marshal(fv.Interface())
		out[key] = strings.TrimSpace(string(b))
		return nil
	})
	return out
}
