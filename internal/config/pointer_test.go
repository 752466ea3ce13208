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
