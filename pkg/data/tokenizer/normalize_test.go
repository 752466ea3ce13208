package tokenizer

import (
	"reflect"
	"testing"
)

func TestStripAccents(t *testing.T) {
	tests := []struct {
		name, in, want string
		orig           []int // source rune of each output rune
	}{
		{"ascii", "abc", "abc", []int{0, 1, 2}},
		{"precomposed", "café", "cafe", []int{0, 1, 2, 3}},
		{"combining", "e\u0301x", "ex", []int{0, 2}},
		{"reordered marks", "a\u0301\u0323b", "ab", []int{0, 3}},
		// norm.Iter panicked here (found by FuzzEncode): a half-width
		// voiced mark, then marks NFD must reorder.
		{"half-width kana then marks", "\uff76\uff9e\u0301\u0323", "\uff76\uff9e", []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stripAccents(newNormText([]rune(tt.in), 0))
			if string(got.runes) != tt.want || !reflect.DeepEqual(got.orig, tt.orig) {
				t.Errorf("stripAccents(%q) = %q %v, want %q %v", tt.in, string(got.runes), got.orig, tt.want, tt.orig)
			}
		})
	}
}
