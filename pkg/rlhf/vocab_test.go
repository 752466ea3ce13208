package rlhf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSameVocab(t *testing.T) {
	root := t.TempDir()
	mk := func(name, config string) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	policy := mk("policy", `{"vocab_size": 150}`)
	same := mk("rm", `{"vocab_size": 150, "num_labels": 1}`)
	other := mk("other", `{"vocab_size": 512}`)
	broken := mk("broken", `{"vocab_size": `)
	cases := []struct {
		name    string
		others  []string
		wantErr string
	}{
		{"same", []string{same, ""}, ""},
		{"different", []string{same, other}, "vocab_size 512 but the policy"},
		{"broken config", []string{broken}, "broken/config.json"},
		{"missing config", []string{filepath.Join(root, "nowhere")}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := sameVocab(policy, c.others...)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}
