package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/gotrl/gotrl/internal/config"
	"github.com/gotrl/gotrl/pkg/train"
)

// TestBF16Flag: --bf16 is auto unless given; alone it means true (as the
// bool flag it replaces); a bad value is an error naming the choices.
func TestBF16Flag(t *testing.T) {
	tests := []struct {
		args    []string
		want    train.BF16Mode
		wantErr string
	}{
		{nil, train.BF16Auto, ""},
		{[]string{"--bf16"}, train.BF16On, ""},
		{[]string{"--bf16=false"}, train.BF16Off, ""},
		{[]string{"--bf16=auto"}, train.BF16Auto, ""},
		{[]string{"--bf16=yes"}, "", "want auto, true or false"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c := train.DefaultConfig()
			f := pflag.NewFlagSet("x", pflag.ContinueOnError)
			if _, err := config.Bind(f, &c); err != nil {
				t.Fatal(err)
			}
			err := f.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "bf16") {
					t.Fatalf("error %v, want one naming --bf16 and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.BF16 != tt.want {
				t.Fatalf("bf16 %q, error %v; want %q", c.BF16, err, tt.want)
			}
		})
	}
}
