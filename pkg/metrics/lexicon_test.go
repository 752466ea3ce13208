package metrics

import "testing"

func TestLexicon(t *testing.T) {
	l := NewLexicon([]string{
		"发动机_部件故障_水温高\n风扇_部件故障_低速转动",
		"发动机_部件故障_水温高\nbad line",
		"刹车_性能故障_失灵",
	})
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3 distinct triples", l.Len())
	}
	tests := []struct{ text, want string }{
		{"发动机水温高，风扇低速转动", "发动机_部件故障_水温高\n风扇_部件故障_低速转动"},
		{"发动机正常，风扇低速转动", "风扇_部件故障_低速转动"},
		{"刹车失灵", "刹车_性能故障_失灵"},
		{"一切正常", ""},
	}
	for _, tt := range tests {
		if got := l.Predict(tt.text); got != tt.want {
			t.Errorf("Predict(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
