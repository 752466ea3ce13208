package prompt

import (
	"slices"
	"testing"
)

func TestNumbers(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"He has 3 apples and buys 5 more, so 8.", []string{"3", "5", "8"}},
		{"The total is 1,234,567 dollars", []string{"1234567"}},
		{"1, 2, 3", []string{"1", "2", "3"}},
		{"1,2345 is not grouped", []string{"1", "2345"}},
		{"12,345.678 and 12345,678", []string{"12345.678", "12345", "678"}},
		{"version 3.14.15", []string{"3.14", "15"}},
		{"A_1 and var_-2", []string{"1", "2"}},
		{"temperature fell to -12.5 degrees", []string{"-12.5"}},
		{"pages 3-5", []string{"3", "5"}},
		{"x-1 is not negative", []string{"1"}},
		{"(-7)", []string{"-7"}},
		{"共有１２个苹果，每个０.５元", []string{"12", "0.5"}},
		{"全角负号－３", []string{"-3"}},
		{"等于-3", []string{"-3"}},
		{"2.50 and 3.0 and 10.", []string{"2.5", "3", "10"}},
		{"-0.0", []string{"0"}},
		{"no numbers here", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := Numbers(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Numbers(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Among (A) through (E), the answer is (C).", []string{"A", "E", "C"}},
		{"A dog is not B", []string{"B"}},
		{"答案是Ｄ。", []string{"D"}},
		{"选（B）", []string{"B"}},
		{"CAT and F are not options", nil},
		{"B2 or _C or D_ neither", nil},
		{"A", []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := Options(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Options(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		ex       Extractor
		triggers []string
		want     string
		ok       bool
	}{
		{"last number without trigger", "Roger had 5 balls. 2 cans of 3 is 6. 5 + 6 = 11.", Numbers, nil, "11", true},
		{"first number after the trigger", "5 + 6 = 11. The answer is 11. Check: 11 - 6 = 5.", Numbers, []string{"The answer is"}, "11", true},
		{"later trigger wins", "答案是3？不对，重新算：答案是 -4。再验证 2", Numbers, []string{"答案是"}, "-4", true},
		{"empty after trigger falls back", "It is 42. The answer is", Numbers, []string{"The answer is"}, "42", true},
		{"option after trigger", "A is wrong and B too. The answer is (C). D is close.", Options, []string{"The answer is"}, "C", true},
		{"nothing", "I do not know.", Numbers, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Extract(tt.text, tt.ex, tt.triggers...)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Extract = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRegexp(t *testing.T) {
	ex, err := Regexp(`#### (\S+)`)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := Extract("step 1\n#### 18\nalso #### 20", ex); got != "20" {
		t.Errorf("last match = %q, want 20", got)
	}
	for _, tt := range []struct{ pattern, want string }{
		{`(a)(b)`, `answer pattern "(a)(b)" has 2 capture groups, want exactly 1`},
		{`ab`, `answer pattern "ab" has 0 capture groups, want exactly 1`},
		{`(a`, "answer pattern \"(a\": error parsing regexp: missing closing ): `(a`"},
	} {
		if _, err := Regexp(tt.pattern); err == nil || err.Error() != tt.want {
			t.Errorf("Regexp(%q) err = %v, want %q", tt.pattern, err, tt.want)
		}
	}
}
