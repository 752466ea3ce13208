package layers

import (
	"strings"
	"testing"
)

func TestCheckIDs(t *testing.T) {
	tests := []struct {
		name string
		ids  [][]int64
		want string // "" = no error
	}{
		{"in range", [][]int64{{0, 4}, {3, 2}}, ""},
		{"too large", [][]int64{{0, 4}, {5, 2}}, "ids[1][0] = 5: outside [0, n 5)"},
		{"negative", [][]int64{{0, -1}}, "ids[0][1] = -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckIDs(rows(t, tt.ids...), "ids", "n", 5)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
