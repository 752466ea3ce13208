// Package config gives every gotrl command one way to configure a run:
// a struct with YAML tags is the configuration, a flag exists for each of
// its fields under the same name (learning_rate ↔ --learning-rate), and a
// run's settings resolve in one order — defaults, a resumed run's
// config.yaml, --config files, then the flags set on the command line.
//
// Struct tags:
//
//	yaml:"learning_rate"      the YAML key; the flag is its kebab-case form
//	yaml:",inline"            an embedded section whose fields are the parent's
//	help:"peak learning rate" the flag's usage
//	alias:"lr"                older or shorter flag names that still work
//	short:"o"                 a one-letter flag (-o)
//	hub:"model"               a path that may also be a Hugging Face Hub id
//	flag:"-"                  no flag (a YAML-only or derived field)
//	min:"-1"                  a number's lower bound; numbers default to ≥ 0, min:"none" lifts it
//
// A number outside its bound, NaN or ±Inf is refused where it is given:
// the flag's error names the flag, a file's names the file and key.
package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/spf13/pflag"
)

// Validator is a choice type (a named string) that checks its value; a
// flag of such a type refuses a bad value when it is parsed.
type Validator interface{ Validate() error }

// Field is one bound field: its YAML key, flag name and aliases.
type Field struct {
	Key, Flag string
	Aliases   []string
	Help      string
}

// Bind defines a flag for every YAML-tagged field of the structs cfgs
// point to and returns the fields bound. Flags default to the fields'
// current values. Two fields with one name are an error: a name has one
// meaning within a command.
func Bind(fs *pflag.FlagSet, cfgs ...any) ([]Field, error) {
	var fields []Field
	aliases, first := aliasesOf(fs)
	for _, cfg := range cfgs {
		v := reflect.ValueOf(cfg)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("config: Bind needs pointers to structs, got %T", cfg)
		}
		err := walk(v.Elem(), func(f reflect.StructField, fv reflect.Value, key string) error {
			if f.Tag.Get("flag") == "-" {
				return nil
			}
			name := strings.ReplaceAll(key, "_", "-")
			if fs.Lookup(name) != nil {
				return fmt.Errorf("config: flag --%s bound twice", name)
			}
			min, err := bound(f)
			if err != nil {
				return err
			}
			val, err := newValue(fv, min)
			if err != nil {
				return fmt.Errorf("config: field %s (%s): %w", f.Name, key, err)
			}
			help := f.Tag.Get("help")
			if v, ok := Vocabulary[key]; ok {
				if help != "" {
					return fmt.Errorf("config: field %s: %s's help is in the vocabulary; drop its help tag", f.Name, key)
				}
				help = v
			}
			var as []string
			if a := f.Tag.Get("alias"); a != "" {
				for _, x := range strings.Split(a, ",") {
					// An alias already taken in this flag set (a command
					// binding several structs) keeps its first meaning, as
					// the command's flags had before.
					if _, taken := aliases[x]; taken || fs.Lookup(x) != nil {
						continue
					}
					aliases[x] = name
					as = append(as, x)
				}
				if len(as) > 0 {
					help += " (also --" + strings.Join(as, ", --") + ")"
				}
			}
			fs.VarP(val, name, f.Tag.Get("short"), help)
			if b, ok := val.(*boolValue); ok && b != nil {
				fs.Lookup(name).NoOptDefVal = "true"
			}
			if bare := f.Tag.Get("bare"); bare != "" { // the value of the flag given alone: --bf16 = --bf16 true
				fs.Lookup(name).NoOptDefVal = bare
			}
			fields = append(fields, Field{Key: key, Flag: name, Aliases: as, Help: help})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if first {
		prev := fs.GetNormalizeFunc()
		fs.SetNormalizeFunc(func(f *pflag.FlagSet, name string) pflag.NormalizedName {
			if c, ok := aliases[name]; ok {
				return pflag.NormalizedName(c)
			}
			return prev(f, name)
		})
	}
	return fields, nil
}

// registry holds each flag set's aliases, so several Bind calls on one
// command share one normalize function.
var (
	registryMu sync.Mutex
	registry   = map[*pflag.FlagSet]map[string]string{}
)

// aliasesOf returns fs's alias map, and whether it is new (the normalize
// function is then still to be installed).
func aliasesOf(fs *pflag.FlagSet) (map[string]string, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if m, ok := registry[fs]; ok {
		return m, false
	}
	m := map[string]string{}
	registry[fs] = m
	return m, true
}

// walk calls fn for each YAML-tagged leaf field of the struct v, entering
// ",inline" sections; it returns the first error.
func walk(v reflect.Value, fn func(reflect.StructField, reflect.Value, string) error) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		key, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			if err := walk(v.Field(i), fn); err != nil {
				return err
			}
			continue
		}
		if key == "" {
			continue
		}
		if err := fn(f, v.Field(i), key); err != nil {
			return err
		}
	}
	return nil
}

// Keys lists the YAML keys of the struct cfg points to, inline sections
// flattened, in declaration order.
func Keys(cfg any) []string {
	var keys []string
	_ = walk(reflect.ValueOf(cfg).Elem(), func(_ reflect.StructField, _ reflect.Value, key string) error {
		keys = append(keys, key)
		return nil
	})
	return keys
}

// Pointer returns a pointer to the field of the struct cfg points to
// whose YAML key is key (inline sections entered), or nil when it has
// none: a command reaches a setting that several configs share by name.
func Pointer(cfg any, key string) any {
	var out any
	_ = walk(reflect.ValueOf(cfg).Elem(), func(_ reflect.StructField, fv reflect.Value, k string) error {
		if k == key && out == nil {
			out = fv.Addr().Interface()
		}
		return nil
	})
	return out
}

// Inline returns a pointer to the inline section of type T in the struct
// cfg points to (inline sections entered), or nil when it has none: a
// command reaches a group of settings that several configs share.
func Inline[T any](cfg any) *T {
	var find func(v reflect.Value) *T
	find = func(v reflect.Value) *T {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if _, opts, _ := strings.Cut(f.Tag.Get("yaml"), ","); !f.IsExported() || !strings.Contains(opts, "inline") {
				continue
			}
			if p, ok := v.Field(i).Addr().Interface().(*T); ok {
				return p
			}
			if v.Field(i).Kind() == reflect.Struct {
				if p := find(v.Field(i)); p != nil {
					return p
				}
			}
		}
		return nil
	}
	return find(reflect.ValueOf(cfg).Elem())
}

// HubField is a field naming a model or tokenizer, which may be a local
// path or a Hugging Face Hub id (tag hub:"model" or hub:"tokenizer").
type HubField struct {
	Key, Kind string
	Value     *string
}

// HubFields returns the hub-tagged fields of the struct cfg points to,
// one per element for a list of paths; empty values are left out.
func HubFields(cfg any) []HubField {
	var out []HubField
	_ = walk(reflect.ValueOf(cfg).Elem(), func(f reflect.StructField, fv reflect.Value, key string) error {
		kind := f.Tag.Get("hub")
		if kind == "" {
			return nil
		}
		switch {
		case fv.Kind() == reflect.String && fv.String() != "":
			out = append(out, HubField{key, kind, fv.Addr().Interface().(*string)})
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
			for i := range fv.Len() {
				out = append(out, HubField{key, kind, fv.Index(i).Addr().Interface().(*string)})
			}
		}
		return nil
	})
	return out
}
