package tokenizer

import "testing"

func TestLossyUTF8(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"valid", []byte("a我"), "a我"},
		// A truncated 3-byte sequence is one maximal subpart: one U+FFFD
		// (Rust's from_utf8_lossy), where a byte-wise repair would give two.
		{"truncated", []byte{'a', 0xE6, 0x88, 'b'}, "a\uFFFDb"},
		{"lone continuation bytes", []byte{0x80, 0x80}, "\uFFFD\uFFFD"},
		{"surrogate encoding", []byte{0xED, 0xA0, 0x80}, "\uFFFD\uFFFD\uFFFD"}, // ED allows 80..9F next
		{"overlong", []byte{0xC0, 0xAF}, "\uFFFD\uFFFD"},
		{"4-byte truncated at end", []byte{0xF0, 0x9F, 0x98}, "\uFFFD"},
		{"F4 above U+10FFFF", []byte{0xF4, 0x90, 0x80, 0x80}, "\uFFFD\uFFFD\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		if got := lossyUTF8(tt.in); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestWordPieceDecoder(t *testing.T) {
	tests := []struct {
		tokens []string
		want   string
	}{
		{[]string{"un", "##aff", "##able"}, "unaffable"},
		{[]string{"##x", "y"}, "##x y"}, // the first token keeps its prefix, as in HF
		{[]string{"hello", ",", "world", "!"}, "hello, world!"},
		{[]string{"don", "'", "t"}, "don ' t"}, // per-token cleanup never sees " ' "
		{[]string{"我", "爱", "你", "。"}, "我 爱 你 。"},
	}
	d := wordPieceDecoder{prefix: "##", cleanup: true}
	for _, tt := range tests {
		if got := d.decode(tt.tokens); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.tokens, got, tt.want)
		}
	}
}

func TestCleanupSpaces(t *testing.T) {
	if got := cleanupSpaces("don ' t do not", false); got != "don't don't" {
		t.Errorf("Rust cleanup: %q", got)
	}
	if got := cleanupSpaces("don ' t do not", true); got != "don't do not" {
		t.Errorf("transformers cleanup: %q", got)
	}
}
