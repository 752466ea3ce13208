package config

import "testing"

// TestPointer: a key reaches its field through inline sections; a key
// the struct lacks gives nil.
func TestPointer(t *testing.T) {
	type inner struct {
		Name string `yaml:"dataset_name"`
	}
	type cfg struct {
		Files []string `yaml:"train_file"`
		In    inner    `yaml:",inline"`
		Skip  string   `yaml:"-"`
	}
	var c cfg
	p, ok := Pointer(&c, "dataset_name").(*string)
	if !ok {
		t.Fatalf("dataset_name: %T", Pointer(&c, "dataset_name"))
	}
	*p = "org/name"
	if c.In.Name != "org/name" {
		t.Fatalf("set through the pointer: %+v", c)
	}
	if _, ok := Pointer(&c, "train_file").(*[]string); !ok {
		t.Fatal("train_file: not a *[]string")
	}
	for _, key := range []string{"validation_file", "-", ""} {
		if got := Pointer(&c, key); got != nil {
			t.Errorf("%q: %v, want nil", key, got)
		}
	}
}

// TestInline: a shared section is found through nested inline sections,
// and written through.
func TestInline(t *testing.T) {
	type section struct {
		Name string `yaml:"dataset_name"`
	}
	type middle struct {
		S section `yaml:",inline"`
	}
	type cfg struct {
		Files []string `yaml:"train_file"`
		Other section  `yaml:"other"` // not inline: not the command's own section
		M     middle   `yaml:",inline"`
	}
	var c cfg
	p := Inline[section](&c)
	if p == nil {
		t.Fatal("section not found")
	}
	p.Name = "org/name"
	if c.M.S.Name != "org/name" || c.Other.Name != "" {
		t.Fatalf("written through the wrong field: %+v", c)
	}
	if Inline[middle](&struct{ X int }{}) != nil {
		t.Error("found a section in a struct without one")
	}
}
