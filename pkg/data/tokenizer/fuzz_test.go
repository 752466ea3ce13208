package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncode checks that no input panics. Valid UTF-8 always encodes, with
// one type id, offset and token per id, offsets inside the text, every id in
// the vocabulary, and GPT-2's byte-level decode giving the text back exactly.
// Invalid UTF-8 is an error, never a guess (see Pipeline.Encode).
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "hello world", "café İstanbul ẞ Ⱥ", "a\u3000b\u00a0c\u2028d", "\ufeff\u200b\u00ad\ue584",
		"......~~~~ 100084", "\n\n \n", "[SEP][unused11]<|endoftext|>", "我爱NLP😀", "bad\xff", "\xe4\xb8",
		"ｶﾞ①ﬁ e\u0301\u0323 </s><extra_id_0>▁▁", "\u3000 x  y\t"} {
		f.Add(s)
	}
	tokenizers := map[string]*Pipeline{}
	if _, err := findShared(); err == nil {
		tokenizers["bert"], tokenizers["gpt2"] = sharedBert(f), sharedGPT2(f)
	}
	for _, name := range unigramTokenizers { // committed fixtures: no ../shared needed
		tokenizers[name] = loadUnigram(f, name)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(tokenizers) == 0 {
			t.Skip("../shared is missing")
		}
		for name, tok := range tokenizers {
			enc, err := tok.Encode(text, true)
			if !utf8.ValidString(text) {
				if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
					t.Fatalf("%s: invalid UTF-8 gave error %v", name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			n := len(enc.IDs)
			if len(enc.TypeIDs) != n || len(enc.Offsets) != n || len(enc.Tokens) != n {
				t.Fatalf("%s: %d ids, %d type ids, %d offsets, %d tokens", name, n, len(enc.TypeIDs), len(enc.Offsets), len(enc.Tokens))
			}
			runes := utf8.RuneCountInString(text)
			for i, id := range enc.IDs {
				if tok, ok := tok.IDToToken(id); !ok || tok != enc.Tokens[i] {
					t.Fatalf("%s: id %d is token %q, encoding says %q", name, id, tok, enc.Tokens[i])
				}
				if o := enc.Offsets[i]; o[0] < 0 || o[0] > o[1] || o[1] > runes {
					t.Fatalf("%s: token %d offsets %v outside [0, %d]", name, i, o, runes)
				}
			}
			if dec := tok.Decode(enc.IDs, false); name == "gpt2" && dec != text {
				t.Fatalf("gpt2: decode %q, want the text %q", dec, text)
			}
		}
	})
}
